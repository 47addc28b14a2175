#!/usr/bin/python3
"""Writes the PyTorch golden fixtures of gradflow's sequence layers (nn/*_golden_test.go).

Run from anywhere with the system Python that has PyTorch (1.13 was used):

    /usr/bin/python3 testdata/nn/gen_seq.py

It writes rnn.json, lstm.json, gru.json, mha.json, transformer.json, embedding.json and
norm.json beside this script. Everything is float64. Weights are PyTorch's own
initialisation from torch.manual_seed (biases and norm scales then set to random values
so that their gradients are not trivial); inputs come from a seeded torch.Generator.

Each case holds:
  - params: the layer's weights by their PyTorch state-dict name ("weight_ih_l0" is
    written "weight_ih"), each {"shape", "data"} in PyTorch's layout;
  - inputs: the differentiable inputs (x, h0, c0; query, key, value) and the others
    (ids, key_padding_mask as 0/1 floats), each {"shape", "data"};
  - outputs: each {"shape", "data", "r"}: the forward value and a fixed random weight r;
  - grads: d loss / d (every differentiable input and every param), where
    loss = sum over the outputs of sum(output * r).
"""

import json
import math
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DT = torch.float64
torch.set_default_dtype(DT)


def T(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def randn(gen, *shape, scale=1.0):
    return torch.randn(*shape, generator=gen, dtype=DT) * scale


def write(name, cases):
    doc = {"generator": "testdata/nn/gen_seq.py", "torch": torch.__version__, "dtype": "float64"}
    head = json.dumps(doc)[:-1]
    body = ",\n".join("  " + json.dumps(c) for c in cases)
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        f.write(head + ',\n "cases": [\n' + body + "\n ]}\n")
    print("wrote", path, len(cases), "cases")


def finish(name, config, module_params, inputs, diff, outputs, gen):
    """Backpropagates sum(out * r) and packs a case. module_params: name -> Parameter;
    inputs: name -> tensor (diff names those with requires_grad); outputs: name -> tensor."""
    rs = {k: randn(gen, *v.shape) for k, v in outputs.items()}
    loss = sum((v * rs[k]).sum() for k, v in outputs.items())
    loss.backward()
    grads = {k: T(inputs[k].grad) for k in diff}
    grads.update({k: T(p.grad) for k, p in module_params.items()})
    outs = {k: dict(T(v), r=T(rs[k])["data"]) for k, v in outputs.items()}
    return {
        "name": name,
        "config": config,
        "params": {k: T(p) for k, p in module_params.items()},
        "inputs": {k: T(v) for k, v in inputs.items()},
        "outputs": outs,
        "grads": grads,
    }


def recurrent_cases(kind):
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    shapes = [  # name, batch, time, in, hidden, bias, initial state
        ("2x3x4 h5 with state", 2, 3, 4, 5, True, True),
        ("1x1x1 h1 zero state", 1, 1, 1, 1, True, False),
        ("3x4x2 h3 no bias", 3, 4, 2, 3, False, True),
    ]
    if kind == "rnn":
        # Longer than 256 steps: gorgonia hashes slice bounds as bytes (see nn/rnn_unroll.go).
        shapes.append(("1x300x2 h2 long", 1, 300, 2, 2, True, False))
    if kind == "lstm":
        shapes.append(("2x5x3 h4 zero state", 2, 5, 3, 4, True, False))
    # Hidden sizes of 8 and more reach the AVX-512 gate kernels (eight lanes, then the
    # scalar tail): 11 is one vector and a tail of 3, 16 two vectors.
    shapes.append(("3x6x5 h11 with state", 3, 6, 5, 11, True, True))
    shapes.append(("2x4x3 h16 zero state", 2, 4, 3, 16, True, False))
    cases = []
    for i, (name, b, t, n_in, h, bias, state) in enumerate(shapes):
        torch.manual_seed(100 + i)
        gen = torch.Generator().manual_seed(200 + i)
        m = cls(n_in, h, batch_first=True, bias=bias)
        params = {k.replace("_l0", ""): p for k, p in m.named_parameters()}
        x = randn(gen, b, t, n_in).requires_grad_()
        inputs, diff = {"x": x}, ["x"]
        hx = None
        if state:
            h0 = randn(gen, b, h).requires_grad_()
            inputs["h0"], diff = h0, diff + ["h0"]
            hx = h0.unsqueeze(0)
            if kind == "lstm":
                c0 = randn(gen, b, h).requires_grad_()
                inputs["c0"], diff = c0, diff + ["c0"]
                hx = (h0.unsqueeze(0), c0.unsqueeze(0))
        out, hn = m(x, hx)
        outputs = {"out": out}
        if kind == "lstm":
            outputs["h"], outputs["c"] = hn[0][0], hn[1][0]
        else:
            outputs["h"] = hn[0]
        config = {"in": n_in, "hidden": h, "bias": bias}
        cases.append(finish(f"{kind} {name}", config, params, inputs, diff, outputs, gen))
    return cases


def mha_cases():
    specs = [  # name, batch, T, S, embed, heads, bias, self, causal, padding
        ("self 2x4 e6 h2", 2, 4, 4, 6, 2, True, True, False, False),
        ("self causal 2x4 e6 h2", 2, 4, 4, 6, 2, True, True, True, False),
        ("cross padded 2x3x5 e6 h3", 2, 3, 5, 6, 3, True, False, False, True),
        ("self no bias 1x2 e4 h4", 1, 2, 2, 4, 4, False, True, False, False),
        ("self causal padded 3x3 e2 h1", 3, 3, 3, 2, 1, True, True, True, True),
    ]
    cases = []
    for i, (name, b, t, s, e, h, bias, self_attn, causal, pad) in enumerate(specs):
        torch.manual_seed(300 + i)
        gen = torch.Generator().manual_seed(400 + i)
        m = torch.nn.MultiheadAttention(e, h, bias=bias, batch_first=True)
        if bias:
            with torch.no_grad():
                m.in_proj_bias.copy_(randn(gen, 3 * e, scale=0.5))
                m.out_proj.bias.copy_(randn(gen, e, scale=0.5))
        params = {k: p for k, p in m.named_parameters()}
        if self_attn:
            x = randn(gen, b, t, e).requires_grad_()
            q = k = v = x
            inputs, diff = {"x": x}, ["x"]
        else:
            q = randn(gen, b, t, e).requires_grad_()
            k = randn(gen, b, s, e).requires_grad_()
            v = randn(gen, b, s, e).requires_grad_()
            inputs, diff = {"query": q, "key": k, "value": v}, ["query", "key", "value"]
        attn_mask = torch.triu(torch.ones(t, s, dtype=torch.bool), 1) if causal else None
        kpm = None
        if pad:
            kpm = torch.zeros(b, s, dtype=torch.bool)
            for r in range(b):
                kpm[r, s - (r % s):] = True  # row r masks its last r % S keys
            inputs["key_padding_mask"] = kpm.to(DT)
        out, _ = m(q, k, v, key_padding_mask=kpm, attn_mask=attn_mask, need_weights=False)
        config = {"embed": e, "heads": h, "bias": bias, "causal": causal}
        cases.append(finish(f"mha {name}", config, params, inputs, diff, {"out": out}, gen))
    return cases


def transformer_cases():
    specs = [  # name, batch, T, embed, heads, ff, causal, padding
        ("2x3 e4 h2 ff6", 2, 3, 4, 2, 6, False, False),
        ("causal 2x4 e6 h3 ff8", 2, 4, 6, 3, 8, True, False),
        ("padded 3x3 e4 h1 ff5", 3, 3, 4, 1, 5, False, True),
        ("1x1 e2 h2 ff1", 1, 1, 2, 2, 1, False, False),
    ]
    cases = []
    for i, (name, b, t, e, h, ff, causal, pad) in enumerate(specs):
        torch.manual_seed(500 + i)
        gen = torch.Generator().manual_seed(600 + i)
        m = torch.nn.TransformerEncoderLayer(e, h, dim_feedforward=ff, dropout=0.0, activation="gelu",
                                             batch_first=True, norm_first=True)
        with torch.no_grad():
            for n, p in m.named_parameters():
                if n.startswith("norm") and n.endswith("weight"):
                    p.copy_(1 + randn(gen, *p.shape, scale=0.3))
                elif n.endswith("bias"):
                    p.copy_(randn(gen, *p.shape, scale=0.3))
        params = {k: p for k, p in m.named_parameters()}
        x = randn(gen, b, t, e).requires_grad_()
        inputs = {"x": x}
        mask = torch.triu(torch.full((t, t), float("-inf")), 1) if causal else None
        kpm = None
        if pad:
            kpm = torch.zeros(b, t, dtype=torch.bool)
            for r in range(b):
                kpm[r, t - (r % t):] = True
            inputs["key_padding_mask"] = kpm.to(DT)
        out = m(x, src_mask=mask, src_key_padding_mask=kpm)
        config = {"embed": e, "heads": h, "ff": ff, "causal": causal}
        cases.append(finish(f"transformer {name}", config, params, inputs, ["x"], {"out": out}, gen))
    return cases


def embedding_cases():
    specs = [  # name, num, dim, padding_idx, ids
        ("10x4 pad 0 ids 2x5", 10, 4, 0, [[1, 0, 9, 9, 3], [0, 0, 2, 1, 5]]),
        ("7x3 no pad ids 6", 7, 3, None, [6, 1, 1, 0, 3, 6]),
        ("5x2 pad 4 ids 1x3", 5, 2, 4, [[4, 2, 4]]),
    ]
    cases = []
    for i, (name, num, dim, pad, ids) in enumerate(specs):
        torch.manual_seed(700 + i)
        gen = torch.Generator().manual_seed(800 + i)
        m = torch.nn.Embedding(num, dim, padding_idx=pad)
        idt = torch.tensor(ids, dtype=torch.long)
        out = m(idt)
        config = {"num": num, "dim": dim, "padding_idx": -1 if pad is None else pad}
        inputs = {"ids": idt.to(DT)}
        cases.append(finish(f"embedding {name}", config, dict(m.named_parameters()), inputs, [], {"out": out}, gen))
    return cases


class RMSNorm(torch.nn.Module):
    """nn.RMSNorm of PyTorch >= 2.4, which 1.13 lacks: x * rsqrt(mean(x², -1) + eps) * weight."""

    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def norm_cases():
    specs = [  # name, kind, shape, affine
        ("layer 2x3x5", "layer", (2, 3, 5), True),
        ("layer 4x3 no affine", "layer", (4, 3), False),
        ("layer 1x2", "layer", (1, 2), True),
        ("rms 3x4", "rms", (3, 4), True),
        ("rms 2x1x3", "rms", (2, 1, 3), True),
        ("rms 5x1", "rms", (5, 1), True),
    ]
    cases = []
    for i, (name, kind, shape, affine) in enumerate(specs):
        gen = torch.Generator().manual_seed(900 + i)
        d = shape[-1]
        if kind == "layer":
            m = torch.nn.LayerNorm(d, elementwise_affine=affine)
            eps = m.eps
        else:
            eps = 1e-6
            m = RMSNorm(d, eps)
        with torch.no_grad():
            for n, p in m.named_parameters():
                p.copy_((1 if n == "weight" else 0) + randn(gen, *p.shape, scale=0.5))
        x = (randn(gen, *shape) * 2 + 0.5).requires_grad_()
        out = m(x)
        config = {"kind": kind, "dim": d, "eps": eps, "affine": affine}
        cases.append(finish(f"norm {name}", config, dict(m.named_parameters()), {"x": x}, ["x"], {"out": out}, gen))
    return cases


def main():
    for kind in ("rnn", "lstm", "gru"):
        write(kind + ".json", recurrent_cases(kind))
    write("mha.json", mha_cases())
    write("transformer.json", transformer_cases())
    write("embedding.json", embedding_cases())
    write("norm.json", norm_cases())


if __name__ == "__main__":
    main()
