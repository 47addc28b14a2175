#!/usr/bin/python3
"""Writes the PyTorch golden fixtures that ops/golden_test.go compares against.

Run from anywhere with the system Python that has PyTorch (1.13 was used):

    /usr/bin/python3 testdata/ops/gen.py

It writes softmax.json, cross_entropy.json and bce_with_logits.json beside this
script. Every input is either written literally below or drawn from a seeded
torch.Generator, and every value is computed in float64; the JSON holds the inputs
too, so the Go tests need no Python. Outputs are forward values and input
gradients:
  - softmax / log_softmax: y = f(x, dim) and d sum(y * w)/dx for a fixed random w
    (the plain sum of a softmax is constant, so its gradient would be 0);
  - cross_entropy: loss = F.cross_entropy(logits, labels) (mean) and d loss/d logits;
  - binary_cross_entropy_with_logits: loss (mean), d loss/d logits, d loss/d targets.
"""

import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DT = torch.float64


def rand(gen, *shape, lo=-3.0, hi=3.0):
    return (torch.rand(*shape, generator=gen, dtype=DT) * (hi - lo) + lo)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def write(name, cases, generator="testdata/ops/gen.py"):
    doc = {
        "generator": generator,
        "torch": torch.__version__,
        "dtype": "float64",
        "cases": cases,
    }
    path = os.path.join(HERE, name)
    # One case per line: diffs stay readable when a case changes.
    head = json.dumps({k: v for k, v in doc.items() if k != "cases"})[:-1]
    body = ",\n".join("  " + json.dumps(c) for c in cases)
    with open(path, "w") as f:
        f.write(head + ',\n "cases": [\n' + body + "\n ]}\n")
    print("wrote", path, len(cases), "cases")


def softmax_cases():
    gen = torch.Generator().manual_seed(1)
    inputs = [
        ("vector", rand(gen, 5), [0, -1]),
        ("column vector", rand(gen, 4, 1), [0, 1]),
        ("row vector", rand(gen, 1, 4), [0, 1]),
        ("matrix", rand(gen, 3, 4), [0, 1, -1]),
        ("3-D", rand(gen, 2, 3, 4), [0, 1, 2, -2]),
        ("4-D", rand(gen, 2, 1, 3, 2), [2, 3]),
        ("large values", torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0],
                                       [0.0, 0.0, 0.0]], dtype=DT), [0, 1]),
    ]
    cases = []
    for name, x0, dims in inputs:
        for fn in ("softmax", "log_softmax"):
            for dim in dims:
                x = x0.clone().requires_grad_(True)
                y = getattr(F, fn)(x, dim=dim)
                w = rand(gen, *x0.shape, lo=-1.0, hi=1.0)
                (y * w).sum().backward()
                cases.append({
                    "name": "%s %s dim %d" % (name, fn, dim),
                    "fn": fn,
                    "dim": dim,
                    "shape": list(x0.shape),
                    "x": flat(x0),
                    "w": flat(w),
                    "y": flat(y),
                    "grad_x": flat(x.grad),
                })
    return cases


def cross_entropy_cases():
    gen = torch.Generator().manual_seed(2)
    inputs = [
        ("4x3", rand(gen, 4, 3), torch.tensor([0, 2, 1, 2])),
        ("batch 1", rand(gen, 1, 5), torch.tensor([3])),
        ("one class", rand(gen, 3, 1), torch.tensor([0, 0, 0])),
        ("8x10", rand(gen, 8, 10, lo=-10.0, hi=10.0),
         torch.randint(0, 10, (8,), generator=gen)),
        ("large values", torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0],
                                       [1000.0, 1000.0, -1000.0]], dtype=DT),
         torch.tensor([1, 2, 0])),
    ]
    cases = []
    for name, x0, labels in inputs:
        x = x0.clone().requires_grad_(True)
        loss = F.cross_entropy(x, labels)
        loss.backward()
        cases.append({
            "name": name,
            "shape": list(x0.shape),
            "logits": flat(x0),
            "labels": [int(v) for v in labels.tolist()],
            "loss": float(loss),
            "grad_logits": flat(x.grad),
        })
    return cases


def bce_cases():
    gen = torch.Generator().manual_seed(3)
    inputs = [
        ("vector", rand(gen, 6), rand(gen, 6, lo=0.0, hi=1.0)),
        ("hard targets", rand(gen, 3, 2), torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]], dtype=DT)),
        ("column vector", rand(gen, 4, 1), rand(gen, 4, 1, lo=0.0, hi=1.0)),
        ("3-D", rand(gen, 2, 3, 2, lo=-8.0, hi=8.0), rand(gen, 2, 3, 2, lo=0.0, hi=1.0)),
        ("large values", torch.tensor([1000.0, -1000.0, 1000.0, -1000.0, 1000.0, 0.0], dtype=DT),
         torch.tensor([1.0, 0.0, 0.0, 1.0, 0.5, 0.5], dtype=DT)),
    ]
    cases = []
    for name, x0, t0 in inputs:
        x = x0.clone().requires_grad_(True)
        t = t0.clone().requires_grad_(True)
        loss = F.binary_cross_entropy_with_logits(x, t)
        loss.backward()
        cases.append({
            "name": name,
            "shape": list(x0.shape),
            "logits": flat(x0),
            "targets": flat(t0),
            "loss": float(loss),
            "grad_logits": flat(x.grad),
            "grad_targets": flat(t.grad),
        })
    return cases


if __name__ == "__main__":
    write("softmax.json", softmax_cases())
    write("cross_entropy.json", cross_entropy_cases())
    write("bce_with_logits.json", bce_cases())
