#!/usr/bin/env python3
"""Writes the PyTorch learning-rate schedules that train/optim/schedule_test.go compares with.

Run with the PyTorch the fixtures were made with (1.13):

    python3 testdata/optim/gen_sched.py

Each case builds torch.optim.SGD on one parameter with learning rate BASE_LR, wraps it
in a torch.optim.lr_scheduler, and records the learning rate of the optimizer's
param group before any scheduler step and after each of the next STEPS-1 steps:
lrs[k] is the learning rate used at step k (k from 0). ReduceLROnPlateau is stepped
with the fixed metric sequence stored in the fixture, and lrs[k] is the rate after
the k-th metric (k from 0) was observed. Numbers are Python reprs (exact doubles).
"""

import json
import math
import os
import warnings

import torch
from torch.optim import lr_scheduler as S

STEPS = 50
BASE_LR = 0.1
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "sched")


def optimizer():
    p = torch.zeros(1, requires_grad=True)
    return torch.optim.SGD([p], lr=BASE_LR, momentum=0.9)


def lrs(opt, sched, steps=STEPS):
    out = [opt.param_groups[0]["lr"]]
    for _ in range(steps - 1):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return out


def warmup_cosine(opt, warmup, total, start_factor, eta_min):
    warm = S.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=warmup)
    cos = S.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=eta_min)
    return S.SequentialLR(opt, schedulers=[warm, cos], milestones=[warmup])


# Each case: file name, config as the Go test reads it, a function building the scheduler.
CASES = [
    ("step", dict(kind="step", step_size=7, gamma=0.5),
     lambda o: S.StepLR(o, step_size=7, gamma=0.5)),
    ("multistep", dict(kind="multistep", milestones=[5, 12, 30], gamma=0.3),
     lambda o: S.MultiStepLR(o, milestones=[5, 12, 30], gamma=0.3)),
    ("exponential", dict(kind="exponential", gamma=0.93),
     lambda o: S.ExponentialLR(o, gamma=0.93)),
    ("cosine", dict(kind="cosine", t_max=20, eta_min=0.001),
     lambda o: S.CosineAnnealingLR(o, T_max=20, eta_min=0.001)),
    ("cosine_long", dict(kind="cosine", t_max=60, eta_min=0.0),
     lambda o: S.CosineAnnealingLR(o, T_max=60, eta_min=0.0)),
    ("warmup_cosine", dict(kind="warmup_cosine", warmup=8, total=50, start_factor=0.1, eta_min=0.002),
     lambda o: warmup_cosine(o, 8, 50, 0.1, 0.002)),
    ("onecycle", dict(kind="onecycle", max_lr=0.5, total_steps=50, pct_start=0.3, anneal="cos",
                      div_factor=25.0, final_div_factor=1e4, three_phase=False),
     lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=50, pct_start=0.3, anneal_strategy="cos",
                            cycle_momentum=False, div_factor=25.0, final_div_factor=1e4)),
    ("onecycle_linear_three_phase", dict(kind="onecycle", max_lr=0.4, total_steps=50, pct_start=0.25,
                                         anneal="linear", div_factor=10.0, final_div_factor=100.0,
                                         three_phase=True),
     lambda o: S.OneCycleLR(o, max_lr=0.4, total_steps=50, pct_start=0.25, anneal_strategy="linear",
                            cycle_momentum=False, div_factor=10.0, final_div_factor=100.0,
                            three_phase=True)),
]

# A noisy metric that improves, stalls, improves a little, then stalls for good.
METRICS = [1.0 / (1 + k) if k < 10 else 0.1 - 0.00001 * (k % 3) if k < 25 else 0.09 + 0.001 * math.sin(k)
           for k in range(STEPS)]
PLATEAU = [
    ("plateau", dict(kind="plateau", mode="min", factor=0.5, patience=3, threshold=1e-4,
                     threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8)),
    ("plateau_cooldown_abs", dict(kind="plateau", mode="min", factor=0.3, patience=2, threshold=0.01,
                                  threshold_mode="abs", cooldown=3, min_lr=0.002, eps=1e-8)),
    ("plateau_max", dict(kind="plateau", mode="max", factor=0.1, patience=4, threshold=1e-3,
                         threshold_mode="rel", cooldown=1, min_lr=0.0, eps=1e-8)),
]


def write(name, config, values, metrics=None):
    fixture = {
        "generator": "testdata/optim/gen_sched.py",
        "torch_version": torch.__version__,
        "base_lr": BASE_LR,
        "config": config,
        "lrs": values,
    }
    if metrics is not None:
        fixture["metrics"] = metrics
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(path))


def main():
    os.makedirs(OUT, exist_ok=True)
    warnings.simplefilter("ignore")
    for name, config, build in CASES:
        opt = optimizer()
        write(name, config, lrs(opt, build(opt)))
    for name, config in PLATEAU:
        opt = optimizer()
        kw = {k: v for k, v in config.items() if k != "kind"}
        sched = S.ReduceLROnPlateau(opt, **kw)
        values = []
        for m in METRICS:
            opt.step()
            sched.step(m)
            values.append(opt.param_groups[0]["lr"])
        write(name, config, values, METRICS)


if __name__ == "__main__":
    main()
