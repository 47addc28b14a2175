# Generates sampler.json: the index lists of torch.utils.data.DistributedSampler
# (torch 1.13) for the cases below, which train/dist's TestSamplerMatchesPyTorch
# compares with DistributedSampler.Indices. Run: /usr/bin/python3 sampler.py
import json

import torch
from torch.utils.data import DistributedSampler

cases = []
for n, world, shuffle, seed, epoch, drop_last in [
    (10, 2, True, 0, 0, False),
    (10, 3, True, 0, 1, False),
    (11, 4, True, 42, 3, False),
    (11, 4, True, 42, 3, True),
    (7, 3, False, 0, 0, False),
    (7, 3, False, 0, 0, True),
    (2, 5, True, 1, 0, False),  # fewer examples than ranks: padded by repetition
    (1000, 2, True, 1234, 5, False),
    (6000, 8, True, 7, 2, False),
]:
    ranks = []
    for rank in range(world):
        s = DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=shuffle,
                               seed=seed, drop_last=drop_last)
        s.set_epoch(epoch)
        ranks.append(list(iter(s)))
    cases.append(dict(n=n, world=world, shuffle=shuffle, seed=seed, epoch=epoch,
                      drop_last=drop_last, ranks=ranks))

with open("sampler.json", "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
