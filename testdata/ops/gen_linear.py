#!/usr/bin/python3
"""Writes the PyTorch golden fixtures that ops/linear_test.go and ops/relu_test.go
compare against: relu.json and linear.json.

Run from anywhere with the system Python that has PyTorch (1.13 was used):

    /usr/bin/python3 testdata/ops/gen_linear.py

The format is gen.py's (whose helpers it imports): every input is written literally
below or drawn from a seeded torch.Generator, every value is computed in float64, and
the JSON holds the inputs too, so the Go tests need no Python. Each case holds the
forward value y and the gradient of sum(y * r) with respect to every input, r a fixed
random tensor of y's shape.

linear.json stores the weight in gradflow's layout, (in, out): the transpose of
torch.nn.Linear's (out_features, in_features). y = F.linear(x, w.T, b), followed by
F.relu in the "relu" cases.

JSON has no NaN or infinities, so the special values of ReLU (NaN, +-Inf) are tested
in Go against the behaviour of PyTorch recorded in ops/relu_test.go.
"""

import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # importing gen.py must leave no __pycache__ behind
from gen import DT, flat, rand, write

GENERATOR = "testdata/ops/gen_linear.py"


def weighted_grads(y, inputs, gen):
    """Returns r and the gradients of sum(y * r) with respect to inputs."""
    r = torch.rand(tuple(y.shape), generator=gen, dtype=DT) * 2.0 - 1.0
    (y * r).sum().backward()
    return r, [t.grad for t in inputs]


def relu_cases():
    gen = torch.Generator().manual_seed(21)
    inputs = [
        ("special values", torch.tensor([-1000.0, -1.0, -1e-30, 0.0, 1e-30, 1e-3, 1.0, 1000.0], dtype=DT)),
        ("matrix", rand(gen, 3, 4)),
        ("column vector", rand(gen, 5, 1)),
        ("row vector", rand(gen, 1, 6)),
        ("3-D", rand(gen, 2, 3, 2)),
    ]
    cases = []
    for name, x0 in inputs:
        x = x0.clone().requires_grad_(True)
        y = F.relu(x)
        r, (gx,) = weighted_grads(y, [x], gen)
        cases.append({"name": name, "shape": list(x0.shape), "x": flat(x0), "w": flat(r),
                      "y": flat(y), "grad_x": flat(gx)})
    return cases


def linear_cases():
    gen = torch.Generator().manual_seed(22)
    shapes = [  # (name, n, in, out)
        ("4x3 to 5", 4, 3, 5),
        ("batch 1", 1, 7, 3),
        ("column vector input", 6, 1, 4),
        ("one output", 5, 3, 1),
        ("odd", 9, 13, 11),
        ("wide", 3, 40, 33),
    ]
    cases = []
    for name, n, fin, fout in shapes:
        x0 = rand(gen, n, fin)
        w0 = rand(gen, fin, fout, lo=-1.0, hi=1.0)
        b0 = rand(gen, fout, lo=-1.0, hi=1.0)
        for bias in (True, False):
            for relu in (False, True):
                x = x0.clone().requires_grad_(True)
                w = w0.clone().requires_grad_(True)
                b = b0.clone().requires_grad_(True) if bias else None
                y = F.linear(x, w.t(), b)
                if relu:
                    y = F.relu(y)
                ins = [x, w] + ([b] if bias else [])
                r, grads = weighted_grads(y, ins, gen)
                case = {"name": "%s%s%s" % (name, "" if bias else " no bias", " relu" if relu else ""),
                        "n": n, "in": fin, "out": fout, "bias": bias, "relu": relu,
                        "x": flat(x0), "w": flat(w0), "b": flat(b0) if bias else [],
                        "r": flat(r), "y": flat(y), "grad_x": flat(grads[0]), "grad_w": flat(grads[1]),
                        "grad_b": flat(grads[2]) if bias else []}
                cases.append(case)
    return cases


if __name__ == "__main__":
    write("relu.json", relu_cases(), generator=GENERATOR)
    write("linear.json", linear_cases(), generator=GENERATOR)
