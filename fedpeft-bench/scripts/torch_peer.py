"""PyTorch eager peer of fedpeft's training step (MiniLM + LoRA on query/value + head, AdamW).

Reads what fedpeft exported (a Hugging Face model folder, the LoRA and head initial values, the
batches and the settings), builds the same computation from torch.nn.functional calls, then
answers commands on stdin, one a line:
  step K   -> runs optimiser step K on batch K, prints "step K <seconds> <loss> <accuracy>"
  step16 K -> the same with a bfloat16 frozen base, on its own copy of the LoRA and head tensors and
              its own optimiser: the frozen linear weights, their biases and the word-embedding
              table held in bfloat16 (converted once, as fedpeft's bf16 base holds them) and the
              forward run under CPU autocast to bfloat16: the products (LoRA's too) run in
              bfloat16; adding the float32 residual or mask promotes to float32, so the residual
              stream, LayerNorm, the softmax and the loss stay float32; prints "step16 K ..."
              likewise
  quit     -> exits
Run it with Debian's /usr/bin/python3 (python3-torch); it needs only torch and numpy.
"""

import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "F64": np.float64}


def read_safetensors(path):
    """A minimal safetensors reader: 8-byte little-endian header size, JSON header, raw data."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(raw[base + start : base + end], dtype=DTYPES[info["dtype"]])
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def main():
    folder = sys.argv[1]
    threads = int(os.environ.get("PEER_THREADS", "2"))
    torch.set_num_threads(threads)
    settings = json.load(open(os.path.join(folder, "settings.json")))
    cfg = json.load(open(os.path.join(folder, "model", "config.json")))
    w = read_safetensors(os.path.join(folder, "model", "model.safetensors"))
    w = {k[5:] if k.startswith("bert.") else k: v.float() for k, v in w.items()}
    init = read_safetensors(os.path.join(folder, "init.safetensors"))
    batches = read_safetensors(os.path.join(folder, "batches.safetensors"))

    hidden = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    head_size = hidden // heads
    layers = cfg["num_hidden_layers"]
    eps = cfg["layer_norm_eps"]
    scaling = settings["lora_scaling"]
    targets = settings["lora_modules"]  # e.g. ["attention.self.query", "attention.self.value"]

    # The bf16 base: every 2-D frozen tensor but the position and token-type tables, and the biases
    # of the linear modules, in bfloat16.
    w16 = {
        k: (v.bfloat16() if (v.dim() == 2 and "position" not in k and "token_type" not in k)
            or (k.startswith("encoder.") and k.endswith(".bias") and "LayerNorm" not in k) else v)
        for k, v in w.items()
    }

    def trainables():
        return {k: v.clone().requires_grad_(True) for k, v in init.items()}

    params = trainables()

    def lora(layer, module, x, y):
        name = f"encoder.layer.{layer}.{module}"
        if module not in targets:
            return y
        a = cur["params"][name + ".lora_A"]
        b = cur["params"][name + ".lora_B"]
        return y + F.linear(F.linear(x, a), b) * scaling

    def lin(layer, module, x):
        p = f"encoder.layer.{layer}.{module}"
        w = cur["w"]
        return lora(layer, module, x, F.linear(x, w[p + ".weight"], w[p + ".bias"]))

    def forward(ids, mask):
        w = cur["w"]
        bsz, seq = ids.shape
        h = F.embedding(ids, w["embeddings.word_embeddings.weight"]).float()
        h = h + w["embeddings.position_embeddings.weight"][:seq] + w["embeddings.token_type_embeddings.weight"][0]
        h = F.layer_norm(h, (hidden,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        bias = ((1.0 - mask.float()) * torch.finfo(torch.float32).min)[:, None, None, :]
        for i in range(layers):
            p = f"encoder.layer.{i}."
            q = lin(i, "attention.self.query", h).view(bsz, seq, heads, head_size).transpose(1, 2)
            k = lin(i, "attention.self.key", h).view(bsz, seq, heads, head_size).transpose(1, 2)
            v = lin(i, "attention.self.value", h).view(bsz, seq, heads, head_size).transpose(1, 2)
            scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(head_size)) + bias
            probs = torch.softmax(scores, dim=-1)
            ctx = torch.matmul(probs, v).transpose(1, 2).reshape(bsz, seq, hidden)
            attn = lin(i, "attention.output.dense", ctx)
            h1 = F.layer_norm(attn + h, (hidden,), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            inter = F.gelu(lin(i, "intermediate.dense", h1))
            out = lin(i, "output.dense", inter)
            h = F.layer_norm(out + h1, (hidden,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        m = mask.float().unsqueeze(-1)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.linear(pooled, cur["params"]["classifier.weight"], cur["params"]["classifier.bias"])

    def adamw(ps):
        decay = [p for n, p in ps.items() if not n.endswith("bias")]
        no_decay = [p for n, p in ps.items() if n.endswith("bias")]
        return torch.optim.AdamW(
            [{"params": decay, "weight_decay": settings["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
            lr=settings["lr"],
            betas=(0.9, 0.999),
            eps=1e-8,
        )

    fp32 = {"w": w, "params": params, "opt": adamw(params)}
    params16 = trainables()
    bf16 = {"w": w16, "params": params16, "opt": adamw(params16)}
    cur = fp32

    print("ready torch %s threads %d" % (torch.__version__, torch.get_num_threads()), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        k = int(cmd[1])
        cur = bf16 if cmd[0] == "step16" else fp32
        all_params = list(cur["params"].values())
        opt = cur["opt"]
        nb = settings["batches"]
        ids = batches["ids.%d" % (k % nb)].long()
        mask = batches["mask.%d" % (k % nb)].long()
        labels = batches["labels.%d" % (k % nb)].long()
        t0 = time.perf_counter()
        if cur is bf16:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = forward(ids, mask).float()
        else:
            logits = forward(ids, mask)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        if settings["max_grad_norm"] > 0:
            torch.nn.utils.clip_grad_norm_(all_params, settings["max_grad_norm"])
        opt.step()
        opt.zero_grad(set_to_none=False)
        loss_value = loss.item()
        acc = (logits.argmax(-1) == labels).float().mean().item()
        dt = time.perf_counter() - t0
        print("%s %d %.6f %.9g %.4f" % (cmd[0], k, dt, loss_value, acc), flush=True)


if __name__ == "__main__":
    main()
