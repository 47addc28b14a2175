"""Golden distributions for nn/sample: Hugging Face generate()'s logits warpers
(temperature, then top-k, then top-p) written out in torch 1.13, as transformers'
TemperatureLogitsWarper, TopKLogitsWarper and TopPLogitsWarper do.

Run with Debian's torch:  /usr/bin/python3 testdata/sample/gen.py
It writes testdata/sample/golden.json.
"""
import json

import torch

torch.manual_seed(3)
logits = (torch.randn(12, dtype=torch.float64) * 2).tolist()


def warp(logits, temperature, top_k, top_p):
    x = torch.tensor(logits, dtype=torch.float64) / temperature
    if top_k > 0:
        kth = torch.topk(x, top_k)[0][-1]
        x = x.masked_fill(x < kth, float("-inf"))
    if top_p < 1:
        sorted_logits, idx = torch.sort(x, descending=False)
        cum = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove = cum <= (1 - top_p)
        remove[-1:] = False  # keep at least one
        x = x.masked_fill(remove.scatter(0, idx, remove), float("-inf"))
    return torch.softmax(x, dim=-1).tolist()


cases = []
for t, k, p in [(1, 0, 1), (0.7, 0, 1), (1.5, 5, 1), (1, 0, 0.9), (0.8, 6, 0.75), (1, 3, 0.5), (2, 0, 0.3)]:
    cases.append({"temperature": t, "top_k": k, "top_p": p, "probs": warp(logits, t, k, p)})
json.dump({"logits": logits, "cases": cases}, open("testdata/sample/golden.json", "w"), indent=1)
