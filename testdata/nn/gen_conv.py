#!/usr/bin/python3
"""Writes the PyTorch golden fixtures of the convolution, pooling, reshaping,
batch-normalisation and residual layers, which nn/conv_golden_test.go compares against.

Run from anywhere with the system Python that has PyTorch (1.13 was used):

    /usr/bin/python3 testdata/nn/gen_conv.py

It writes conv2d.json, conv1d.json, pool.json, flatten.json, bn.json and
conv_residual.json beside this script. Every value is computed in float64 from a
seeded torch.Generator, and the JSON holds the inputs and the weights too, so the Go
tests need no Python.

Each case is a PyTorch module with its parameters (named as in its state_dict; the Go
test maps "a.b.weight" to the Param "<scope>/a/b/weight"), an input x and a fixed
random weighting w of the output. The loss is the weighted sum L = sum(y * w), and
the fixture holds y and the gradients of L with respect to x and every parameter.
Convolution weights have the same layout in gradflow, (out, in, kH, kW).

BatchNorm cases (bn.json) run two training steps (module.train(), a new x and w each),
recording y, the gradients and the running statistics after each, and then one
evaluation step (module.eval()) on a third input.
"""

import json
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
DT = torch.float64
torch.set_default_dtype(DT)


def rand(gen, *shape, lo=-2.0, hi=2.0):
    return torch.rand(*shape, generator=gen, dtype=DT) * (hi - lo) + lo


def tensor(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def write(name, cases):
    doc = {"generator": "testdata/nn/gen_conv.py", "torch": torch.__version__, "dtype": "float64"}
    head = json.dumps(doc)[:-1]
    body = ",\n".join("  " + json.dumps(c) for c in cases)
    with open(os.path.join(HERE, name), "w") as f:
        f.write(head + ',\n "cases": [\n' + body + "\n ]}\n")
    print("wrote", name, len(cases), "cases")


def fill_params(gen, module):
    """Gives every parameter random values (BatchNorm's weight and bias too, so that
    the scale and shift are tested), leaving buffers (running statistics) alone."""
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.copy_(rand(gen, *p.shape, lo=-1.0, hi=1.0))


def step(gen, module, x0):
    """One forward and backward of sum(module(x) * w); returns the record."""
    for p in module.parameters():
        p.grad = None
    x = x0.clone().requires_grad_(True)
    y = module(x)
    w = rand(gen, *y.shape, lo=-1.0, hi=1.0)
    (y * w).sum().backward()
    rec = {"x": tensor(x0), "w": tensor(w), "y": tensor(y), "grads": {"x": tensor(x.grad)}}
    for name, p in module.named_parameters():
        rec["grads"][name] = tensor(p.grad)
    return rec


def module_case(gen, name, config, module, x_shape, lo=-2.0, hi=2.0):
    fill_params(gen, module)
    params = {n: tensor(p) for n, p in module.named_parameters()}
    rec = step(gen, module, rand(gen, *x_shape, lo=lo, hi=hi))
    return dict({"name": name, "config": config, "params": params}, **rec)


def conv2d_cases():
    gen = torch.Generator().manual_seed(1)
    specs = [
        ("3x3", [2, 3, 7, 6], dict(out=4, kernel=[3, 3])),
        ("stride2 pad1", [2, 3, 8, 7], dict(out=5, kernel=[3, 3], stride=[2, 2], padding=[1, 1])),
        ("non-square dilated", [2, 2, 9, 8], dict(out=3, kernel=[3, 2], stride=[2, 1], padding=[2, 1], dilation=[2, 3])),
        ("1x1", [3, 4, 5, 5], dict(out=2, kernel=[1, 1])),
        ("batch1 chan1 no bias", [1, 1, 6, 5], dict(out=2, kernel=[5, 3], padding=[2, 0], bias=False)),
    ]
    cases = []
    for name, xs, c in specs:
        m = nn.Conv2d(xs[1], c["out"], c["kernel"], stride=c.get("stride", 1), padding=c.get("padding", 0),
                      dilation=c.get("dilation", 1), bias=c.get("bias", True))
        config = {"in": xs[1], "out": c["out"], "kernel": c["kernel"], "stride": c.get("stride", [1, 1]),
                  "padding": c.get("padding", [0, 0]), "dilation": c.get("dilation", [1, 1]),
                  "bias": c.get("bias", True)}
        cases.append(module_case(gen, name, config, m, xs))
    return cases


def conv1d_cases():
    gen = torch.Generator().manual_seed(2)
    specs = [
        ("k3", [2, 3, 10], dict(out=4, kernel=3)),
        ("stride2 pad2 dil2", [2, 2, 11], dict(out=3, kernel=3, stride=2, padding=2, dilation=2)),
        ("batch1 chan1 no bias", [1, 1, 7], dict(out=2, kernel=4, padding=1, bias=False)),
    ]
    cases = []
    for name, xs, c in specs:
        m = nn.Conv1d(xs[1], c["out"], c["kernel"], stride=c.get("stride", 1), padding=c.get("padding", 0),
                      dilation=c.get("dilation", 1), bias=c.get("bias", True))
        config = {"in": xs[1], "out": c["out"], "kernel": c["kernel"], "stride": c.get("stride", 1),
                  "padding": c.get("padding", 0), "dilation": c.get("dilation", 1), "bias": c.get("bias", True)}
        cases.append(module_case(gen, name, config, m, xs))
    return cases


def pool_cases():
    gen = torch.Generator().manual_seed(3)
    specs = [
        ("max 2x2", "max", [2, 3, 6, 6], dict(kernel=[2, 2])),
        ("max 3x3 stride2 pad1", "max", [2, 2, 7, 6], dict(kernel=[3, 3], stride=[2, 2], padding=[1, 1])),
        ("max non-square", "max", [1, 1, 5, 7], dict(kernel=[2, 3], stride=[1, 2], padding=[1, 1])),
        ("avg 2x2", "avg", [2, 3, 6, 5], dict(kernel=[2, 2])),
        ("avg 3x3 stride2 pad1", "avg", [2, 2, 7, 6], dict(kernel=[3, 3], stride=[2, 2], padding=[1, 1])),
        ("avg exclude pad", "avg", [1, 2, 5, 5], dict(kernel=[3, 3], stride=[2, 2], padding=[1, 1], exclude_pad=True)),
        ("global", "global", [2, 3, 5, 4], dict()),
        ("global keepdims", "global", [1, 1, 3, 2], dict(keep_dims=True)),
    ]
    cases = []
    for name, kind, xs, c in specs:
        stride = c.get("stride", c.get("kernel"))
        pad = c.get("padding", [0, 0])
        if kind == "max":
            m = nn.MaxPool2d(c["kernel"], stride=stride, padding=pad)
        elif kind == "avg":
            m = nn.AvgPool2d(c["kernel"], stride=stride, padding=pad,
                             count_include_pad=not c.get("exclude_pad", False))
        elif c.get("keep_dims"):
            m = nn.AdaptiveAvgPool2d(1)
        else:
            m = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        config = dict(c, kind=kind)
        cases.append(module_case(gen, name, config, m, xs))
    return cases


def flatten_cases():
    gen = torch.Generator().manual_seed(4)
    cases = [module_case(gen, "flatten 4-D", {"kind": "flatten"}, nn.Flatten(), [2, 3, 2, 2]),
             module_case(gen, "flatten 2-D", {"kind": "flatten"}, nn.Flatten(), [3, 4]),
             module_case(gen, "reshape", {"kind": "reshape", "shape": [2, -1]}, nn.Unflatten(1, (2, 3)), [2, 6])]
    return cases


def bn_cases():
    gen = torch.Generator().manual_seed(5)
    specs = [
        ("1d (N, C)", "1d", [6, 3], 0.1),
        ("1d (N, C, L)", "1d", [3, 2, 5], 0.1),
        ("2d", "2d", [2, 3, 4, 5], 0.1),
        ("2d batch1 momentum 0.3", "2d", [1, 2, 3, 3], 0.3),
    ]
    cases = []
    for name, kind, xs, momentum in specs:
        cls = nn.BatchNorm1d if kind == "1d" else nn.BatchNorm2d
        m = cls(xs[1], momentum=momentum)
        fill_params(gen, m)
        case = {"name": name, "config": {"kind": kind, "features": xs[1], "momentum": momentum, "eps": m.eps},
                "params": {n: tensor(p) for n, p in m.named_parameters()}, "steps": []}
        m.train()
        for k in range(2):
            # Inputs far from zero mean and unit variance, so that the running
            # statistics move visibly.
            rec = step(gen, m, rand(gen, *xs, lo=-1.0, hi=4.0))
            rec["running_mean"] = tensor(m.running_mean)
            rec["running_var"] = tensor(m.running_var)
            case["steps"].append(rec)
        m.eval()
        case["eval"] = step(gen, m, rand(gen, *xs, lo=-1.0, hi=4.0))
        cases.append(case)
    return cases


class Residual(nn.Module):
    def __init__(self, inner, proj):
        super().__init__()
        self.inner = inner
        self.proj = proj

    def forward(self, x):
        return torch.relu(self.inner(x) + (self.proj(x) if self.proj is not None else x))


def residual_cases():
    gen = torch.Generator().manual_seed(6)
    down = Residual(
        nn.Sequential(nn.Conv2d(2, 3, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(3), nn.ReLU(),
                      nn.Conv2d(3, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3)),
        nn.Sequential(nn.Conv2d(2, 3, 1, stride=2, bias=False), nn.BatchNorm2d(3)))
    identity = Residual(nn.Sequential(nn.Conv2d(2, 2, 3, padding=1), nn.ReLU(), nn.Conv2d(2, 2, 3, padding=1)), None)
    cases = []
    for name, m, xs in (("downsampling block, train", down, [2, 2, 6, 5]),
                        ("identity block", identity, [2, 2, 4, 4])):
        m.train()
        case = module_case(gen, name, {"kind": "residual"}, m, xs)
        case["buffers"] = {n: tensor(b) for n, b in m.named_buffers() if "running" in n}
        cases.append(case)
    return cases


if __name__ == "__main__":
    write("conv2d.json", conv2d_cases())
    write("conv1d.json", conv1d_cases())
    write("pool.json", pool_cases())
    write("flatten.json", flatten_cases())
    write("bn.json", bn_cases())
    write("conv_residual.json", residual_cases())
