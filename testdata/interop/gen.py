#!/usr/bin/python3
"""Makes the PyTorch fixtures of nn/torch and nn/onnx's tests (Debian's python3-torch 1.13).

Run from the repository root: /usr/bin/python3 testdata/interop/gen.py
For each model NAME it writes
  NAME.pt             torch.save(state_dict) in the zip format
  NAME_legacy.pt      the same in the legacy format (_use_new_zipfile_serialization=False)
  NAME.safetensors    the state_dict as safetensors, written here by hand as
                      PyTorch's ecosystem does, but with the data in reverse key
                      order and an unpadded header (any order and alignment must load)
  NAME_io.safetensors the input "x" and torch's eval-mode output "y"
Models: mlp (and mlp64 in float64), cnn (Conv2d, BatchNorm2d with trained running
statistics, pools, Flatten, Linear), lstm (an LSTM classifier on the last state),
transformer (TransformerEncoderLayer, norm_first, gelu, batch first), and the mlp's
weights in float16 and bfloat16 (mlp_f16.safetensors, mlp_bf16.safetensors) with
mlp_f16_io / mlp_bf16_io holding the eval output of the rounded weights.
"""
import json
import os
import struct
import sys

import torch
from torch import nn

OUT = os.path.dirname(os.path.abspath(__file__))
DT = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16",
      torch.bfloat16: "BF16", torch.int64: "I64", torch.bool: "BOOL"}


def raw(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_st(path, tensors, reverse=True, pad=False):
    names = sorted(tensors, reverse=reverse)
    header, blobs, off = {}, [], 0
    for n in names:
        b = raw(tensors[n])
        header[n] = {"dtype": DT[tensors[n].dtype], "shape": list(tensors[n].shape),
                     "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    js = json.dumps(header).encode()
    if pad:
        js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 6, batch_first=True)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


def build(name):
    """The PyTorch module of a fixture, freshly initialised (check_saved.py uses it)."""
    if name in ("mlp", "mlp64"):
        m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        return m.double() if name == "mlp64" else m
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1), nn.AvgPool2d(3),
                             nn.Flatten(), nn.Linear(4, 5))
    if name == "lstm":
        return LSTMClassifier()
    if name == "transformer":
        return nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
    raise ValueError(name)


def save_all(name, model, x):
    model.eval()
    with torch.no_grad():
        y = model(x)
    sd = model.state_dict()
    torch.save(sd, os.path.join(OUT, name + ".pt"))
    torch.save(sd, os.path.join(OUT, name + "_legacy.pt"), _use_new_zipfile_serialization=False)
    write_st(os.path.join(OUT, name + ".safetensors"), dict(sd))
    write_st(os.path.join(OUT, name + "_io.safetensors"), {"x": x, "y": y}, reverse=False, pad=True)


def main():
    torch.manual_seed(14)
    mlp = build("mlp")
    save_all("mlp", mlp, torch.randn(5, 4))
    save_all("mlp64", mlp.double(), torch.randn(5, 4, dtype=torch.float64))
    mlp.float()

    cnn = build("cnn")
    cnn.train()
    with torch.no_grad():
        for _ in range(3):  # non-trivial running statistics and num_batches_tracked
            cnn(torch.randn(8, 2, 6, 6) * 2 + 1)
    save_all("cnn", cnn, torch.randn(3, 2, 6, 6))

    save_all("lstm", build("lstm"), torch.randn(3, 7, 5))

    tr = build("transformer")
    save_all("transformer", tr, torch.randn(2, 5, 8))

    for dt, tag in ((torch.float16, "f16"), (torch.bfloat16, "bf16")):
        sd = {k: v.to(dt) for k, v in mlp.state_dict().items()}
        write_st(os.path.join(OUT, "mlp_%s.safetensors" % tag), sd)
        rounded = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        rounded.load_state_dict({k: v.float() for k, v in sd.items()})
        x = torch.randn(5, 4)
        with torch.no_grad():
            write_st(os.path.join(OUT, "mlp_%s_io.safetensors" % tag), {"x": x, "y": rounded(x)}, reverse=False, pad=True)
    print("wrote fixtures to", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
