#!/usr/bin/python3
"""Checks weights that gradflow saved for PyTorch (nn/torch's TestSavedLoadInTorch).

Usage: /usr/bin/python3 testdata/interop/check_saved.py DIR
DIR holds, for each model NAME of gen.py, NAME.safetensors (torch.Save's output) and
NAME_io.safetensors (an input "x" and gradflow's output "y"). Each state_dict must load
into gen.build(NAME) with load_state_dict(strict=True) and give gradflow's output, to
1e-5 in float32 and 1e-10 in float64. Prints one line per model; exits 1 on a failure.
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

DT = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16,
      "BF16": torch.bfloat16, "I64": torch.int64, "BOOL": torch.bool}


def read_st(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    header.pop("__metadata__", None)
    data = b[8 + n:]
    out = {}
    for name, e in header.items():
        lo, hi = e["data_offsets"]
        buf = bytearray(data[lo:hi])
        dt = DT[e["dtype"]]
        if len(buf) == 0:
            t = torch.zeros(e["shape"], dtype=dt)
        else:
            t = torch.frombuffer(buf, dtype=dt).reshape(e["shape"]).clone()
        out[name] = t
    return out


def main():
    d = sys.argv[1]
    failed = 0
    names = sorted(f[:-len("_io.safetensors")] for f in os.listdir(d) if f.endswith("_io.safetensors"))
    for name in names:
        m = gen.build(name)
        sd = read_st(os.path.join(d, name + ".safetensors"))
        try:
            m.load_state_dict(sd, strict=True)
        except RuntimeError as e:
            print("FAIL %s: load_state_dict(strict=True): %s" % (name, e))
            failed += 1
            continue
        io = read_st(os.path.join(d, name + "_io.safetensors"))
        m.eval()
        with torch.no_grad():
            y = m(io["x"])
        tol = 1e-10 if y.dtype == torch.float64 else 1e-5
        diff = (y - io["y"]).abs().max().item()
        ok = diff <= tol
        failed += not ok
        print("%s %s: strict load, max |torch - gradflow| = %.3g (tol %g)" % ("ok" if ok else "FAIL", name, diff, tol))
    if not names:
        print("FAIL: no models in", d)
        failed = 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
