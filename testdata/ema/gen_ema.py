"""Golden values for optim.EMA: torch.optim.swa_utils.AveragedModel with the EMA
average function timm's ModelEmaV2 uses, ema = decay*ema + (1-decay)*param.

Run with Debian's torch 1.13:  /usr/bin/python3 testdata/ema/gen_ema.py
It writes testdata/ema/ema.json.
"""
import json

import torch
from torch.optim.swa_utils import AveragedModel

torch.manual_seed(7)
cases = []
for dtype, name in ((torch.float64, "float64"), (torch.float32, "float32")):
    for decay, warmup in ((0.9, False), (0.99, True)):
        lin = torch.nn.Linear(3, 2).to(dtype)

        def avg_fn(avg, p, n, decay=decay, warmup=warmup):
            d = decay
            if warmup:
                d = min(decay, (1 + float(n)) / (10 + float(n)))
            return d * avg + (1 - d) * p

        ema = AveragedModel(lin, avg_fn=avg_fn)
        ema.update_parameters(lin)  # the first call copies: NewEMA starts from the values
        initial = {k: v.flatten().tolist() for k, v in lin.state_dict().items()}
        values, averages = [], []
        for step in range(6):
            with torch.no_grad():
                for p in lin.parameters():
                    p.copy_(torch.randn_like(p))
            ema.update_parameters(lin)
            values.append({k: v.flatten().tolist() for k, v in lin.state_dict().items()})
            averages.append({k[len("module."):]: v.flatten().tolist()
                             for k, v in ema.state_dict().items() if k.startswith("module.")})
        cases.append({"dtype": name, "decay": decay, "warmup": warmup, "initial": initial,
                      "values": values, "averages": averages})
json.dump({"cases": cases}, open("testdata/ema/ema.json", "w"))
