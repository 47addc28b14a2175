#!/usr/bin/env python3
"""Writes the PyTorch reference trajectories that train/optim/pytorch_test.go replays.

Run from the repository root with the PyTorch the fixtures were made with (1.13):

    python3 testdata/optim/gen.py

The problem is fixed and small: two parameters, a weight W (3x4) and a bias b (4),
start from fixed values, and the loss is

    loss = sum((x @ W + b - y) ** 2)

for a fixed x (5x3) and y (5x4). Each optimizer configuration runs 20 steps with
torch.optim; before every step torch autograd computes the gradient at torch's
current parameters. Each fixture records the initial parameters and, per step, the
gradients handed to the optimizer and the parameters after the step. The Go test
sets the same gradients and compares the parameters, which isolates the optimizer
from the model: any difference is the optimizer's.

Every configuration runs twice, in float64 and in float32 (the float32 run starts
from the float64 initial values rounded to float32 and has its own gradients).
Numbers are written with Python's repr, which round-trips exactly; float32 values
are written as the float64 of the same value.
"""

import json
import os

import torch

STEPS = 20
HERE = os.path.dirname(os.path.abspath(__file__))

# Each case: file name, optimizer name, keyword arguments for torch.optim.
# The Go test builds its config from the same "config" object.
CASES = [
    ("sgd", "sgd", dict(lr=0.01)),
    ("sgd_momentum", "sgd", dict(lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.05)),
    ("sgd_nesterov", "sgd", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("adam", "adam", dict(lr=0.05, betas=(0.9, 0.999), eps=1e-8)),
    ("adam_weight_decay", "adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adam_amsgrad", "adam", dict(lr=0.05, betas=(0.9, 0.999), eps=1e-8, amsgrad=True)),
    ("adamw", "adamw", dict(lr=0.05, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
    ("adamw_amsgrad", "adamw", dict(lr=0.05, betas=(0.85, 0.995), eps=1e-7, weight_decay=0.02, amsgrad=True)),
    ("sgd_dampening", "sgd", dict(lr=0.02, momentum=0.8, dampening=0.5)),
    ("rmsprop", "rmsprop", dict(lr=0.01, alpha=0.99, eps=1e-8)),
    ("rmsprop_momentum", "rmsprop", dict(lr=0.005, alpha=0.9, eps=1e-6, momentum=0.8, weight_decay=0.05)),
    ("rmsprop_centered", "rmsprop", dict(lr=0.005, alpha=0.95, eps=1e-8, centered=True, momentum=0.5, weight_decay=0.01)),
    ("adagrad", "adagrad", dict(lr=0.1, eps=1e-10)),
    ("adagrad_decay", "adagrad", dict(lr=0.2, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-8)),
]

OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
}


def problem(dtype):
    """Returns the initial W, b and the data x, y: fixed values, no RNG."""
    i = torch.arange(12, dtype=torch.float64)
    w = (0.5 * torch.sin(1.3 * i + 0.2)).reshape(3, 4)
    b = torch.tensor([0.1, -0.2, 0.3, -0.4], dtype=torch.float64)
    j = torch.arange(15, dtype=torch.float64)
    x = torch.cos(0.7 * j + 0.5).reshape(5, 3)
    k = torch.arange(20, dtype=torch.float64)
    y = (torch.sin(0.37 * k) + 0.25 * torch.cos(1.1 * k)).reshape(5, 4)
    return [t.to(dtype) for t in (w, b, x, y)]


def floats(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run(opt_name, kwargs, dtype):
    w0, b0, x, y = problem(dtype)
    w = w0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    opt = OPTIMIZERS[opt_name]([w, b], **kwargs)
    out = {"init": {"w": floats(w), "b": floats(b)}, "steps": []}
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).sum()
        loss.backward()
        grads = {"w": floats(w.grad), "b": floats(b.grad)}
        opt.step()
        out["steps"].append({"loss": float(loss), "grads": grads,
                             "params": {"w": floats(w), "b": floats(b)}})
    return out


def main():
    for name, opt_name, kwargs in CASES:
        config = {"optimizer": opt_name}
        config.update({k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()})
        fixture = {
            "generator": "testdata/optim/gen.py",
            "torch_version": torch.__version__,
            "loss": "sum((x @ w + b - y)^2), w 3x4, b 4",
            "config": config,
            "shapes": {"w": [3, 4], "b": [4]},
            "runs": {
                "float64": run(opt_name, kwargs, torch.float64),
                "float32": run(opt_name, kwargs, torch.float32),
            },
        }
        path = os.path.join(HERE, name + ".json")
        with open(path, "w") as f:
            json.dump(fixture, f, indent=1)
            f.write("\n")
        print("wrote", os.path.relpath(path))


if __name__ == "__main__":
    main()
