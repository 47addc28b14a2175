# Generates ddp_torch.json: an MLP (Linear 2->16, ReLU, Linear 16->3) trained by
# torch 1.13's DistributedDataParallel on 2 gloo ranks (localhost) for 20 Adam steps
# (lr 0.01) at batch 4 per rank, on the 160 "three blobs" examples of train's tests,
# split by DistributedSampler(seed=11), in float32 and float64. The initial weights
# are a fixed formula; the file holds them and rank 0's final weights, in PyTorch's
# layout (Linear weights (out, in)). train's TestDDPMatchesTorch reads it.
# Run: /usr/bin/python3 ddp_torch.py
import json
import math
import os

import torch
import torch.distributed as tdist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

N, BATCH, SEED, WORLD = 160, 4, 11, 2


def blobs(dtype):
    x = torch.zeros(N, 2, dtype=torch.float64)
    y = torch.zeros(N, dtype=torch.long)
    for i in range(N):
        c = i % 3
        y[i] = c
        x[i, 0] = c + 0.3 * math.sin(7 * i)
        x[i, 1] = (c % 2) + 0.3 * math.cos(5 * i)
    return x.to(dtype), y


def init_weights():
    # name -> (shape, values): a fixed formula, in float64
    out = {}
    for k, (name, shape) in enumerate([("0.weight", (16, 2)), ("0.bias", (16,)),
                                        ("2.weight", (3, 16)), ("2.bias", (3,))]):
        n = math.prod(shape)
        out[name] = (shape, [0.5 * math.sin(1.0 + 0.7 * i + k) for i in range(n)])
    return out


def model(dtype):
    m = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)).to(dtype)
    with torch.no_grad():
        for name, p in m.named_parameters():
            shape, v = init_weights()[name]
            p.copy_(torch.tensor(v, dtype=torch.float64).reshape(shape).to(dtype))
    return m


def worker(rank, dtype_name, q):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29517"
    tdist.init_process_group("gloo", rank=rank, world_size=WORLD)
    dtype = getattr(torch, dtype_name)
    net = DDP(model(dtype))
    x, y = blobs(dtype)
    sampler = DistributedSampler(TensorDataset(x, y), num_replicas=WORLD, rank=rank, shuffle=True, seed=SEED)
    sampler.set_epoch(0)
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, sampler=sampler)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    steps = 0
    for xb, yb in loader:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(xb), yb)
        loss.backward()
        opt.step()
        steps += 1
    if rank == 0:
        q.put({"steps": steps, "weights": {n: p.detach().to(torch.float64).flatten().tolist()
                                           for n, p in net.module.named_parameters()}})
    tdist.barrier()
    tdist.destroy_process_group()


if __name__ == "__main__":
    torch.set_num_threads(1)
    result = {"torch": torch.__version__, "init": {n: v for n, (s, v) in init_weights().items()}}
    ctx = mp.get_context("spawn")
    for dtype_name in ["float64", "float32"]:
        q = ctx.Queue()
        procs = [ctx.Process(target=worker, args=(r, dtype_name, q)) for r in range(WORLD)]
        for p in procs:
            p.start()
        result[dtype_name] = q.get()
        for p in procs:
            p.join()
    with open("ddp_torch.json", "w") as f:
        json.dump(result, f)
