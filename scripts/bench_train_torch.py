"""The PyTorch side of `npm run bench:train`: the same TinyBERT-4L training step
(BertForSequenceClassification, dropout 0.1, LoRA r=16 alpha=16 dropout 0.05 on
q/k/v + classifier, or full fine-tuning; cross-entropy, clip_grad_norm_ 1.0,
AdamW) on the same batch shapes, in float32 on the CPU.

Reads a JSON job on stdin, prints one JSON result line. No transformers
package is needed: the model is written out in torch ops, as HF computes it.
"""
import ctypes
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


class Lora(torch.nn.Module):
    def __init__(self, base, r, alpha, dropout):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(torch.empty(r, base.in_features).uniform_(-1 / math.sqrt(base.in_features), 1 / math.sqrt(base.in_features)))
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r
        self.drop = torch.nn.Dropout(dropout)

    def forward(self, x):
        return self.base(x) + (self.drop(x) @ self.A.T) @ self.B.T * self.scale


class Layer(torch.nn.Module):
    def __init__(self, C, NH, FF):
        super().__init__()
        self.NH = NH
        self.q, self.k, self.v = (torch.nn.Linear(C, C) for _ in range(3))
        self.ao, self.ln1 = torch.nn.Linear(C, C), torch.nn.LayerNorm(C, eps=1e-12)
        self.i, self.o, self.ln2 = torch.nn.Linear(C, FF), torch.nn.Linear(FF, C), torch.nn.LayerNorm(C, eps=1e-12)
        self.drop = torch.nn.Dropout(0.1)

    def forward(self, x, bias):
        B, T, C = x.shape
        HS = C // self.NH
        heads = lambda y: y.view(B, T, self.NH, HS).transpose(1, 2)
        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        att = self.drop(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HS) + bias, -1))
        ctx = (att @ v).transpose(1, 2).reshape(B, T, C)
        h = self.ln1(self.drop(self.ao(ctx)) + x)
        return self.ln2(self.drop(self.o(F.gelu(self.i(h)))) + h)


class Bert(torch.nn.Module):
    def __init__(self, V=30522, P=512, C=312, NH=12, FF=1200, L=4, labels=2):
        super().__init__()
        self.wte, self.wpe, self.wtt = torch.nn.Embedding(V, C), torch.nn.Embedding(P, C), torch.nn.Embedding(2, C)
        self.ln = torch.nn.LayerNorm(C, eps=1e-12)
        self.layers = torch.nn.ModuleList(Layer(C, NH, FF) for _ in range(L))
        self.pool, self.cls = torch.nn.Linear(C, C), torch.nn.Linear(C, labels)
        self.drop = torch.nn.Dropout(0.1)

    def forward(self, ids, tt, mask):
        T = ids.shape[1]
        x = self.drop(self.ln(self.wte(ids) + self.wpe(torch.arange(T))[None] + self.wtt(tt)))
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, bias)
        return self.cls(self.drop(torch.tanh(self.pool(x[:, 0]))))


def openblas_core():
    """The kernel set OpenBLAS picked (e.g. 'Haswell'), or None without OpenBLAS."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "openblas" in line and line.split()[-1].startswith("/")}
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return None


def main():
    job = json.load(sys.stdin)
    torch.set_num_threads(job["threads"])
    torch.manual_seed(0)
    results = []
    for case in job["cases"]:
        model = Bert()
        if case["mode"] == "lora":
            for p in model.parameters():
                p.requires_grad_(False)
            for layer in model.layers:
                for name in ("q", "k", "v"):
                    setattr(layer, name, Lora(getattr(layer, name), 16, 16, 0.05))
            for p in model.cls.parameters():
                p.requires_grad_(True)
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=3.9e-4, weight_decay=0.0)
        batches = []
        for lengths in case["batches"]:  # one entry per row: its real length; padded to the longest
            T = max(lengths)
            mask = torch.tensor([[1] * n + [0] * (T - n) for n in lengths])
            ids = torch.randint(1000, 30000, (len(lengths), T)) * mask
            batches.append((ids, torch.zeros_like(ids), mask, torch.randint(0, 2, (len(lengths),))))

        def step(b):
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(*b[:3]), b[3])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()

        for i in range(case.get("warmup", job["warmup"])):
            step(batches[i % len(batches)])
        best = None  # the fastest of the repeats, as on our side
        for _ in range(job.get("repeats", 1)):
            t0 = time.perf_counter()
            seqs = 0
            for i in range(job["steps"]):
                b = batches[i % len(batches)]
                step(b)
                seqs += b[0].shape[0]
            seconds = time.perf_counter() - t0
            if best is None or seconds < best[0]:
                best = (seconds, seqs)
        seconds, seqs = best
        results.append({"seq_per_s": seqs / seconds, "ms_per_step": 1000 * seconds / job["steps"]})
    blas = "unknown"
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
        blas = "openblas" if "openblas" in maps else "mkl" if "libmkl" in maps else "reference libblas" if "libblas" in maps else "unknown"
    except OSError:
        pass
    if blas == "openblas":
        blas += f" ({openblas_core()} kernels)"
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas, "results": results}))


if __name__ == "__main__":
    main()
