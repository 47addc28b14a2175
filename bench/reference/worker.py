#!/usr/bin/env python3
"""PyTorch reference implementations of gradbench's workloads.

gradbench starts this script as a long-lived worker process, one per workload and
thread count, and interleaves its blocks of steps with the Go systems'. It speaks JSON
lines: first it writes a hello ({"ready": true, "info": {...}}, or {"error": ...,
"unavailable": true} when torch cannot be imported); then for each request line
{"warmup": W, "steps": N, "check": bool} read on stdin it runs W untimed and N timed
steps and writes {"step_ns": [...], "peak_rss": bytes, "quality": {...}}. It exits when
stdin ends.

Each workload matches its Go counterparts (bench/workloads_*.go): same shapes, the same
initialisation scheme (PyTorch's default for nn.Linear, U(+-1/sqrt(fan_in)) for weights
and biases, which gradflow's Linear and the raw gorgonia models use too), the same
optimizer and hyperparameters, the same batch size, the same data (the MNIST IDX files
that gradflow reads, passed with --mnist, or the synthetic sets of bench/synth.go,
generated here bit for bit alike by synth_uniform). A training step includes gathering
the batch from the shuffled training set, as on the Go side.

Run by hand: OPENBLAS_NUM_THREADS=2 python3 bench/reference/worker.py --workload mlp-f32 \
    --threads 1 --blas-threads 2 --mnist DIR <<< '{"warmup": 5, "steps": 20, "check": true}'
"""

import argparse
import gc
import gzip
import json
import os
import resource
import struct
import sys
import time


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def peak_rss():
    """Peak resident set size in bytes: VmHWM, as the Go workers report it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def blas_info(want_threads=0):
    """The BLAS library torch loaded and, for OpenBLAS, the kernel core it chose and
    its thread count. OPENBLAS_NUM_THREADS (set by gradbench) fixes that count when
    OpenBLAS loads; if OpenBLAS has another, want_threads (> 0) is set through
    openblas_set_num_threads before it is reported."""
    info = {}
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return info
    for lib in sorted(libs, key=lambda p: ("openblas" not in p, p)):
        if "libblas" in lib or "openblas" in lib:
            info["blas_lib"] = lib
            try:
                import ctypes

                dll = ctypes.CDLL(lib)
                dll.openblas_get_corename.restype = ctypes.c_char_p
                info["openblas_core"] = dll.openblas_get_corename().decode()
                dll.openblas_get_num_threads.restype = ctypes.c_int
                if want_threads > 0 and dll.openblas_get_num_threads() != want_threads:
                    dll.openblas_set_num_threads(ctypes.c_int(want_threads))
                info["openblas_threads"] = str(dll.openblas_get_num_threads())
            except (AttributeError, OSError):
                pass
            break
    return info


def find_idx(directory, base):
    dotted = base.replace("-idx", ".idx", 1)
    for name in (base + ".gz", base, dotted + ".gz", dotted):
        p = os.path.join(directory, name)
        if os.path.isfile(p):
            return p
    raise FileNotFoundError("no %s or %s.gz in %s" % (base, base, directory))


def read_idx(path):
    """Reads an IDX file of unsigned bytes into (dims, bytes)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError("%s: not an IDX file of unsigned bytes" % path)
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return dims, raw[4 + 4 * ndim:]


def load_mnist(torch, directory, dtype):
    """Training and test sets as in gradflow's data.LoadMNIST: (N, 784) pixel/255."""
    import numpy as np

    sets = []
    for images, labels in (("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                           ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")):
        dims, px = read_idx(find_idx(directory, images))
        _, lb = read_idx(find_idx(directory, labels))
        x = torch.from_numpy(np.frombuffer(px, dtype=np.uint8).copy()).to(dtype)
        x = x.reshape(dims[0], dims[1] * dims[2]) / 255
        y = torch.from_numpy(np.frombuffer(lb, dtype=np.uint8).astype(np.int64))
        sets.append((x.contiguous(), y))
    return sets


def synth_uniform(np, stream, start, n):
    """Values start..start+n-1 of a synthetic stream in [0, 1): SplitMix64's output
    function of stream + (i+1)*0x9E3779B97F4A7C15 (bench/synth.go's synthUniform),
    in numpy's wrapping uint64 arithmetic."""
    u64 = np.uint64
    z = (np.arange(start + 1, start + n + 1, dtype=u64) * u64(0x9E3779B97F4A7C15)) + u64(stream)
    z = (z ^ (z >> u64(30))) * u64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> u64(27))) * u64(0x94D049BB133111EB)
    z ^= z >> u64(31)
    return (z >> u64(11)).astype(np.float64) / 2.0 ** 53


def synth_stream(seed, purpose):
    """bench/synth.go's synthStream: the stream of a purpose (1, 2, ...) under seed."""
    return ((seed << 16) | purpose) & (2 ** 64 - 1)


LSTM_MARKER = 1


def lstm_tokens(np, seed, n, seq, vocab):
    """bench/synth.go's lstmTokens: (n, seq) int64 token ids and n labels; label 1
    (drawn per sequence) puts LSTM_MARKER at one drawn position."""
    tok = synth_uniform(np, synth_stream(seed, 1), 0, n * seq)
    lab = synth_uniform(np, synth_stream(seed, 2), 0, n)
    pos = synth_uniform(np, synth_stream(seed, 3), 0, n)
    ids = (LSTM_MARKER + 1 + (tok * float(vocab - LSTM_MARKER - 1)).astype(np.int64)).reshape(n, seq)
    labels = (lab < 0.5).astype(np.int64)
    rows = np.nonzero(labels)[0]
    ids[rows, (pos[rows] * float(seq)).astype(np.int64)] = LSTM_MARKER
    return ids, labels


def tf_inputs(np, seed, n, seq, dim, signal):
    """bench/synth.go's tfInputs: (n, seq, dim) float32 noise in [-1, 1) plus
    +-signal times a fixed direction, the sign the label; made in slices of examples
    so that the uint64 temporaries stay small."""
    lab = synth_uniform(np, synth_stream(seed, 5), 0, n)
    v = 2 * synth_uniform(np, synth_stream(seed, 6), 0, dim) - 1
    labels = (lab < 0.5).astype(np.int64)
    x = np.empty((n, seq, dim), dtype=np.float32)
    stream = synth_stream(seed, 4)
    for lo in range(0, n, 64):
        hi = min(n, lo + 64)
        u = synth_uniform(np, stream, lo * seq * dim, (hi - lo) * seq * dim).reshape(hi - lo, seq, dim)
        s = np.where(labels[lo:hi] == 1, signal, -signal)[:, None, None]
        x[lo:hi] = ((2 * u - 1) + s * v).astype(np.float32)
    return x, labels


def synth_sets(torch, x, labels, n_train):
    x, y = torch.from_numpy(x), torch.from_numpy(labels)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


class Gemm:
    """C = A·B, square, through torch.mm (OpenBLAS on Debian)."""

    def __init__(self, torch, dtype, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.torch = torch
        self.a = torch.rand(n, n, generator=g, dtype=dtype) * 2 - 1
        self.b = torch.rand(n, n, generator=g, dtype=dtype) * 2 - 1
        self.c = torch.empty(n, n, dtype=dtype)
        self.n = n

    def step(self):
        self.torch.mm(self.a, self.b, out=self.c)

    def check(self):
        """Largest error of 64 sampled entries against a float64 dot product, relative
        to |row|·|column| (the scale of the entry's rounding error)."""
        torch = self.torch
        g = torch.Generator().manual_seed(7)
        worst = 0.0
        for i, j in torch.randint(0, self.n, (64, 2), generator=g).tolist():
            row, col = self.a[i].double(), self.b[:, j].double()
            ref = float(row @ col)
            scale = float(row.norm() * col.norm()) or 1.0
            worst = max(worst, abs(float(self.c[i, j]) - ref) / scale)
        return {"max_rel_err": worst}


class Classifier:
    """A training step on shuffled mini-batches of a classification set, with Adam."""

    def __init__(self, torch, model, loss_fn, train, test, batch, lr, seed):
        self.torch = torch
        self.model = model
        self.loss_fn = loss_fn
        self.x, self.y = train
        self.test = test
        self.batch = batch
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.gen = torch.Generator().manual_seed(seed)
        self.perm = None
        self.pos = 0
        self.loss = None

    def next_batch(self):
        n = self.x.shape[0]
        if n == self.batch:  # the whole set every step (XOR): nothing to gather
            return self.x, self.y
        if self.perm is None or self.pos + self.batch > n:
            self.perm = self.torch.randperm(n, generator=self.gen)
            self.pos = 0
        idx = self.perm[self.pos:self.pos + self.batch]
        self.pos += self.batch
        return self.x.index_select(0, idx), self.y.index_select(0, idx)

    def step(self):
        xb, yb = self.next_batch()
        self.opt.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(xb), yb)
        loss.backward()
        self.opt.step()
        self.loss = loss

    def check(self):
        torch = self.torch
        x, y = self.test
        self.model.eval()
        correct = 0
        with torch.no_grad():
            for lo in range(0, x.shape[0], 1000):
                out = self.model(x[lo:lo + 1000])
                if out.shape[1] == 1:
                    pred = (out[:, 0] > 0).to(y.dtype)
                    correct += int((pred == y[lo:lo + 1000].reshape(-1)).sum())
                else:
                    correct += int((out.argmax(1) == y[lo:lo + 1000]).sum())
        self.model.train()
        return {"accuracy": correct / x.shape[0], "loss": float(self.loss)}


def lstm_classifier(nn, vocab, embed, hidden, classes):
    """Embedding, a one-layer LSTM's last hidden state (h_n), Linear."""

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, embed)
            self.lstm = nn.LSTM(embed, hidden, batch_first=True)
            self.fc = nn.Linear(hidden, classes)

        def forward(self, ids):
            _, (h, _) = self.lstm(self.embed(ids))
            return self.fc(h[-1])

    return LSTMClassifier()


def transformer_classifier(nn, embed, heads, ff, classes):
    """A pre-norm GELU encoder block without dropout, the mean over time, Linear."""

    class TransformerClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = nn.TransformerEncoderLayer(embed, heads, ff, dropout=0.0, activation="gelu",
                                                    batch_first=True, norm_first=True)
            self.fc = nn.Linear(embed, classes)

        def forward(self, x):
            return self.fc(self.block(x).mean(1))

    return TransformerClassifier()


def make(torch, name, args):
    import numpy as np

    nn = torch.nn
    parts = name.split("-")
    if parts[0] == "gemm" and len(parts) == 3:
        dtype = {"f32": torch.float32, "f64": torch.float64}[parts[1]]
        return Gemm(torch, dtype, int(parts[2]), args.seed)
    if name in ("mlp-f32", "mlp-f64"):
        dtype = torch.float32 if name.endswith("f32") else torch.float64
        if not args.mnist:
            raise ValueError("%s needs --mnist DIR" % name)
        train, test = load_mnist(torch, args.mnist, dtype)
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                              nn.Linear(256, 10)).to(dtype)
        return Classifier(torch, model, nn.functional.cross_entropy, train, test,
                          batch=128, lr=1e-3, seed=args.seed)
    if name == "cnn":  # examples/mnist-cnn's LeNet, bench/workloads_cnn.go
        if not args.mnist:
            raise ValueError("%s needs --mnist DIR" % name)
        (x, y), (tx, ty) = load_mnist(torch, args.mnist, torch.float32)
        model = nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.ReLU(),
                              nn.Conv2d(20, 50, 5), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(),
                              nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))
        return Classifier(torch, model, nn.functional.cross_entropy, (x.view(-1, 1, 28, 28), y),
                          (tx.view(-1, 1, 28, 28), ty), batch=64, lr=1e-3, seed=args.seed)
    if name == "lstm":  # bench/workloads_seq.go's lstmDefault
        ids, labels = lstm_tokens(np, args.seed, 8192 + 1024, 64, 5000)
        train, test = synth_sets(torch, ids, labels, 8192)
        return Classifier(torch, lstm_classifier(nn, 5000, 64, 128, 2), nn.functional.cross_entropy,
                          train, test, batch=64, lr=1e-3, seed=args.seed)
    if name == "transformer":  # bench/workloads_seq.go's tfDefault
        x, labels = tf_inputs(np, args.seed, 1024 + 512, 64, 128, 0.02)
        train, test = synth_sets(torch, x, labels, 1024)
        return Classifier(torch, transformer_classifier(nn, 128, 4, 512, 2), nn.functional.cross_entropy,
                          train, test, batch=32, lr=1e-3, seed=args.seed)
    if name == "xor":
        x = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
        y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
        return Classifier(torch, model, nn.functional.binary_cross_entropy_with_logits,
                          (x, y), (x, y), batch=4, lr=0.05, seed=args.seed)
    raise ValueError("no PyTorch reference for workload %r" % name)


def probe_core(torch):
    """Times a 1024 x 1024 float32 product on one thread (best of five after two
    warm-ups) and returns the OpenBLAS core that ran it and its GFLOP/s: gradbench
    runs this once per candidate OPENBLAS_CORETYPE to pick the fastest."""
    torch.set_num_threads(1)
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        torch.mm(a, b)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return {"core": blas_info().get("openblas_core", ""), "gflops": 2 * n ** 3 / best / 1e9}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload")
    ap.add_argument("--probe-core", action="store_true",
                    help="print the OpenBLAS core and its float32 GEMM speed, then exit")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--blas-threads", type=int, default=0,
                    help="OpenBLAS threads (gradbench also sets OPENBLAS_NUM_THREADS); 0 leaves them")
    ap.add_argument("--mnist", default="", help="directory of the MNIST IDX files")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not args.workload and not args.probe_core:
        ap.error("--workload or --probe-core is required")
    try:
        import torch
    except Exception as e:  # ImportError, or a broken install
        emit({"error": "cannot import torch: %s" % e, "unavailable": True})
        return 0
    if args.probe_core:
        emit(probe_core(torch))
        return 0
    try:
        torch.set_num_threads(args.threads)
        torch.manual_seed(args.seed)
        wl = make(torch, args.workload, args)
    except Exception as e:
        emit({"error": "%s: %s" % (type(e).__name__, e)})
        return 1
    info = {"torch": torch.__version__, "python": sys.version.split()[0],
            "threads": str(torch.get_num_threads())}
    info.update(blas_info(args.blas_threads))
    emit({"ready": True, "info": info})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            for _ in range(req.get("warmup", 0)):
                wl.step()
            gc.collect()
            times = []
            clock = time.perf_counter_ns
            for _ in range(req["steps"]):
                t0 = clock()
                wl.step()
                times.append(clock() - t0)
            out = {"step_ns": times}
            if req.get("check"):
                out["quality"] = wl.check()
            out["peak_rss"] = peak_rss()
            emit(out)
        except Exception as e:
            emit({"error": "%s: %s" % (type(e).__name__, e)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
