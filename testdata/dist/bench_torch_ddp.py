# Throughput of torch 1.13's DDP (gloo, 2 ranks, one thread each) on the MNIST MLP
# of examples/mnist-ddp (784 -> 256 ReLU -> 10, Adam 1e-3, batch 64 per rank), one
# epoch of 60000 examples of random data (the speed does not depend on the values),
# for comparison with `mpirun -np 2 -x GOMAXPROCS=1 ./mnist-ddp`. Prints samples/s
# over both ranks (DDP's all-reduce overlaps its backward, so its share is not
# printed). Run: /usr/bin/python3 bench_torch_ddp.py
import os
import time

import torch
import torch.distributed as tdist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

N, BATCH, WORLD = 60000, 64, 2


def worker(rank):
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29518"
    tdist.init_process_group("gloo", rank=rank, world_size=WORLD)
    torch.manual_seed(1)
    net = DDP(torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)))
    ds = TensorDataset(torch.rand(N, 784), torch.randint(0, 10, (N,)))
    sampler = DistributedSampler(ds, num_replicas=WORLD, rank=rank, seed=1)
    loader = DataLoader(ds, batch_size=BATCH, sampler=sampler)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    tdist.barrier()
    start = time.perf_counter()
    for xb, yb in loader:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(xb), yb).backward()
        opt.step()
    tdist.barrier()
    took = time.perf_counter() - start
    if rank == 0:
        print(f"torch DDP gloo {WORLD} ranks: {N / took:.0f} samples/s ({took:.2f}s per epoch)")
    tdist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, nprocs=WORLD)
