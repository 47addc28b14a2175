"""Golden values for ops.CrossEntropy: torch.nn.functional.cross_entropy (torch 1.13)
with ignore_index, label_smoothing, weight and reduction, on (N, C) and on sequences
(N, T, C) (torch takes (N, C, T): the logits are permuted for it).

One case, smoothing with ignored labels and no weights, is where torch 1.13 divides
the smoothing term by every target, ignored ones included; ops.CrossEntropy divides by
the targets kept (as later torch releases do), so that case's golden value is computed
here from torch's own pieces with that divisor.

Run:  /usr/bin/python3 testdata/ops/gen_ce.py   (writes testdata/ops/ce.json)
"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(11)


def case(name, shape, labels, ignore=-100, smoothing=0.0, weight=None, reduction="mean", fixed=False):
    x = (torch.randn(*shape, dtype=torch.float64) * 2).requires_grad_()
    t = torch.tensor(labels, dtype=torch.long)
    w = None if weight is None else torch.tensor(weight, dtype=torch.float64)
    xt = x if x.dim() == 2 else x.permute(0, 2, 1)
    if fixed:
        logp = F.log_softmax(xt, dim=1)
        nll = F.nll_loss(logp, t, ignore_index=ignore, reduction="mean")
        keep = (t != ignore)
        smooth = -(logp.sum(dim=1))[keep].sum() / keep.sum()
        loss = (1 - smoothing) * nll + smoothing / shape[-1] * smooth
    else:
        loss = F.cross_entropy(xt, t, weight=w, ignore_index=ignore, label_smoothing=smoothing, reduction=reduction)
    loss.backward()
    return {"name": name, "shape": list(shape), "x": x.detach().flatten().tolist(),
            "labels": [float(v) for v in t.flatten().tolist()], "ignore": ignore,
            "smoothing": smoothing, "weight": weight, "sum": reduction == "sum",
            "loss": loss.item(), "grad": x.grad.flatten().tolist()}


cases = [
    case("default", (5, 4), [0, 3, 1, 1, 2]),
    case("ignore -100", (5, 4), [0, -100, 1, -100, 2]),
    case("smoothing", (5, 4), [0, 3, 1, 1, 2], smoothing=0.1),
    case("weights", (5, 4), [0, 3, 1, 1, 2], weight=[0.5, 2.0, 1.0, 0.25]),
    case("weights smoothing ignore", (6, 4), [0, 3, 1, 7, 2, 7], ignore=7, smoothing=0.2, weight=[0.5, 2.0, 1.0, 0.25]),
    case("sum smoothing", (5, 4), [0, 3, 1, 1, 2], smoothing=0.3, reduction="sum"),
    case("sequence ignore 0 weights smoothing", (2, 3, 5), [[1, 4, 0], [2, 0, 0]], ignore=0, smoothing=0.1,
         weight=[1.0, 0.5, 2.0, 1.5, 0.75]),
    case("sequence smoothing ignore (fixed divisor)", (2, 3, 4), [[1, 3, 0], [2, 0, 0]], ignore=0, smoothing=0.25, fixed=True),
]
json.dump({"cases": cases}, open("testdata/ops/ce.json", "w"))
