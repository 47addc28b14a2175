#!/usr/bin/python3
"""Writes the PyTorch golden fixtures that ops/golden_more_test.go compares against.

Run from anywhere with the system Python that has PyTorch (1.13 was used):

    /usr/bin/python3 testdata/ops/gen_more.py

It writes gelu.json, silu.json, logsumexp.json, avg_pool2d.json,
global_avg_pool2d.json, layer_norm.json and embedding.json beside this script, in
the format of gen.py (whose helpers it imports). Every input is written literally
below or drawn from a seeded torch.Generator, every value is computed in float64,
and the JSON holds the inputs too, so the Go tests need no Python. Each case holds
the forward value y and the gradient of sum(y * w) with respect to every
differentiable input, w a fixed random tensor of y's shape (a plain sum would hide
errors that keep the sum, as in softmax).
"""

import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # importing gen.py must leave no __pycache__ behind
from gen import DT, flat, rand, write


def weighted_grads(y, inputs, gen):
    """Returns w and the gradients of sum(y * w) with respect to inputs."""
    w = torch.rand(tuple(y.shape), generator=gen, dtype=DT) * 2.0 - 1.0
    (y * w).sum().backward()
    return w, [t.grad for t in inputs]


def elementwise_cases(fns, seed):
    gen = torch.Generator().manual_seed(seed)
    specials = torch.tensor([-1000.0, -30.0, -5.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 5.0, 30.0, 1000.0],
                            dtype=DT)
    inputs = [
        ("special values", specials),
        ("matrix", rand(gen, 3, 4, lo=-4.0, hi=4.0)),
        ("column vector", rand(gen, 5, 1, lo=-4.0, hi=4.0)),
        ("3-D", rand(gen, 2, 3, 2, lo=-6.0, hi=6.0)),
    ]
    cases = []
    for name, x0 in inputs:
        for fn_name, fn in fns:
            x = x0.clone().requires_grad_(True)
            y = fn(x)
            w, (gx,) = weighted_grads(y, [x], gen)
            cases.append({"name": "%s %s" % (fn_name, name), "fn": fn_name,
                          "shape": list(x0.shape), "x": flat(x0), "w": flat(w),
                          "y": flat(y), "grad_x": flat(gx)})
    return cases


def logsumexp_cases():
    gen = torch.Generator().manual_seed(5)
    inputs = [
        ("vector", torch.tensor([1.0, 2.0, 3.0], dtype=DT), [0, -1]),
        ("matrix", rand(gen, 3, 4), [0, 1]),
        ("column vector", rand(gen, 4, 1), [0, 1]),
        ("row vector", rand(gen, 1, 5), [0, 1]),
        ("3-D", rand(gen, 2, 3, 4), [0, 1, 2]),
        ("large values", torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0]],
                                      dtype=DT), [0, 1]),
    ]
    cases = []
    for name, x0, dims in inputs:
        for dim in dims:
            x = x0.clone().requires_grad_(True)
            y = torch.logsumexp(x, dim=dim)
            w, (gx,) = weighted_grads(y, [x], gen)
            cases.append({"name": "%s dim %d" % (name, dim), "dim": dim, "shape": list(x0.shape),
                          "x": flat(x0), "w": flat(w), "y_shape": list(y.shape),
                          "y": flat(y), "grad_x": flat(gx)})
    return cases


def avg_pool_cases():
    gen = torch.Generator().manual_seed(6)
    configs = [
        # name, shape, kernel, stride, padding, count_include_pad
        ("k2 s2", (1, 1, 4, 4), (2, 2), (2, 2), (0, 0), True),
        ("k3 s1 p1", (2, 3, 5, 5), (3, 3), (1, 1), (1, 1), True),
        ("k3 s2 p1 exclude pad", (2, 3, 5, 5), (3, 3), (2, 2), (1, 1), False),
        ("k2x3 s1x2 p1", (1, 2, 6, 7), (2, 3), (1, 2), (1, 1), True),
        ("k2x3 s1x2 p1 exclude pad", (1, 2, 6, 7), (2, 3), (1, 2), (1, 1), False),
        ("whole plane", (2, 1, 3, 3), (3, 3), (1, 1), (0, 0), True),
        ("odd size floor", (1, 1, 5, 4), (2, 2), (2, 2), (0, 0), True),
    ]
    cases = []
    for name, shape, k, s, p, include in configs:
        x0 = rand(gen, *shape)
        x = x0.clone().requires_grad_(True)
        y = F.avg_pool2d(x, k, s, p, count_include_pad=include)
        w, (gx,) = weighted_grads(y, [x], gen)
        cases.append({"name": name, "shape": list(shape), "kernel": list(k), "stride": list(s),
                      "padding": list(p), "exclude_pad": not include, "x": flat(x0),
                      "w": flat(w), "y_shape": list(y.shape), "y": flat(y), "grad_x": flat(gx)})
    return cases


def global_avg_pool_cases():
    gen = torch.Generator().manual_seed(7)
    cases = []
    for shape in [(2, 3, 4, 5), (1, 1, 1, 1), (3, 2, 1, 4), (1, 4, 3, 3)]:
        x0 = rand(gen, *shape)
        x = x0.clone().requires_grad_(True)
        y = F.adaptive_avg_pool2d(x, 1)
        w, (gx,) = weighted_grads(y, [x], gen)
        cases.append({"name": "x".join(map(str, shape)), "shape": list(shape), "x": flat(x0),
                      "w": flat(w), "y": flat(y), "grad_x": flat(gx)})
    return cases


def layer_norm_cases():
    gen = torch.Generator().manual_seed(8)
    inputs = [
        # name, x, axes, weight, bias, eps
        ("4x5 affine", rand(gen, 4, 5), 1, True, True, 1e-5),
        ("4x5 plain", rand(gen, 4, 5), 1, False, False, 1e-5),
        ("2x3x4 two axes affine", rand(gen, 2, 3, 4), 2, True, True, 1e-5),
        ("2x3x4 last axis weight only", rand(gen, 2, 3, 4), 1, True, False, 1e-5),
        ("batch 1 bias only", rand(gen, 1, 6), 1, False, True, 1e-5),
        ("column vector affine", rand(gen, 5, 1), 1, True, True, 1e-5),
        ("vector eps 1e-3", rand(gen, 7), 1, True, True, 1e-3),
        ("large offset", rand(gen, 3, 4) + 1e6, 1, True, True, 1e-5),
        ("constant rows", torch.tensor([[2.0, 2.0, 2.0], [-7.0, -7.0, -7.0]], dtype=DT),
         1, True, True, 1e-5),
    ]
    cases = []
    for name, x0, axes, has_w, has_b, eps in inputs:
        norm_shape = list(x0.shape[x0.dim() - axes:])
        # Layer norm is shift-invariant, so the "large offset" reference is computed on
        # x0 - 1e6 (an exact subtraction): PyTorch's backward forms b*x + c, which
        # loses about 1e-8 relative to cancellation at x ~ 1e6, while gradflow's
        # subtracts the mean first.
        shift = 1e6 if name == "large offset" else 0.0
        x = (x0 - shift).requires_grad_(True)
        w0 = rand(gen, *norm_shape, lo=0.5, hi=1.5) if has_w else None
        b0 = rand(gen, *norm_shape, lo=-1.0, hi=1.0) if has_b else None
        wt = w0.clone().requires_grad_(True) if has_w else None
        bt = b0.clone().requires_grad_(True) if has_b else None
        y = F.layer_norm(x, norm_shape, wt, bt, eps)
        grads_of = [x] + [t for t in (wt, bt) if t is not None]
        r, grads = weighted_grads(y, grads_of, gen)
        case = {"name": name, "shape": list(x0.shape), "axes": axes, "eps": eps,
                "x": flat(x0), "r": flat(r), "y": flat(y), "grad_x": flat(grads[0])}
        i = 1
        if has_w:
            case["weight"], case["grad_weight"] = flat(w0), flat(grads[i])
            i += 1
        if has_b:
            case["bias"], case["grad_bias"] = flat(b0), flat(grads[i])
        cases.append(case)
    return cases


def embedding_cases():
    gen = torch.Generator().manual_seed(9)
    inputs = [
        ("ids (5) repeated", torch.tensor([1, 4, 1, 0, 1]), rand(gen, 6, 3)),
        ("ids (2, 4) repeated", torch.tensor([[0, 2, 2, 5], [5, 1, 0, 0]]), rand(gen, 6, 2)),
        ("batch 1", torch.tensor([3]), rand(gen, 4, 5)),
        ("one row table", torch.tensor([0, 0, 0]), rand(gen, 1, 3)),
    ]
    cases = []
    for name, ids, t0 in inputs:
        t = t0.clone().requires_grad_(True)
        y = F.embedding(ids, t)
        w, (gt,) = weighted_grads(y, [t], gen)
        cases.append({"name": name, "ids_shape": list(ids.shape), "ids": flat(ids.to(DT)),
                      "table_shape": list(t0.shape), "table": flat(t0), "w": flat(w),
                      "y": flat(y), "grad_table": flat(gt)})
    return cases


if __name__ == "__main__":
    gelu = [("none", lambda x: F.gelu(x)), ("tanh", lambda x: F.gelu(x, approximate="tanh"))]
    write("gelu.json", elementwise_cases(gelu, 3), generator="testdata/ops/gen_more.py")
    write("silu.json", elementwise_cases([("silu", F.silu)], 4), generator="testdata/ops/gen_more.py")
    write("logsumexp.json", logsumexp_cases(), generator="testdata/ops/gen_more.py")
    write("avg_pool2d.json", avg_pool_cases(), generator="testdata/ops/gen_more.py")
    write("global_avg_pool2d.json", global_avg_pool_cases(), generator="testdata/ops/gen_more.py")
    write("layer_norm.json", layer_norm_cases(), generator="testdata/ops/gen_more.py")
    write("embedding.json", embedding_cases(), generator="testdata/ops/gen_more.py")
