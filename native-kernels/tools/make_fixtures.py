#!/usr/bin/python3
"""Writes the golden fixtures the kernel tests compare against, with PyTorch.

Run with Debian's python3-torch (CPU PyTorch 1.13):  /usr/bin/python3 native-kernels/tools/make_fixtures.py
CI never runs this; it only reads the committed outputs in native-kernels/tests/fixtures/.

Inputs and weights are not stored: both sides regenerate them from the same seeded
xorshift32 stream (tests/harness.h th::random_vec), and each fixture records a
checksum of its inputs so a drift between the two generators fails loudly.

  bert_layer_lora.bin  one BERT encoder layer (Hugging Face BertLayer semantics, post-LN,
                       erf GELU, eps 1e-12) with LoRA r=16, alpha=16 on query/key/value,
                       TinyBERT widths (C 312, 12 heads of 26, FF 1200), B=2, T=9, the second
                       sequence padded after 6 tokens; loss = sum(out * R). Computed in float64.
  src-main/engine/bert/fixtures/
    state_dict.bin       a small torch.save'd state dict (zip format): float32, a non-contiguous
                         view sharing storage, float16, bfloat16, int64, an nn.Parameter; and
                         state_dict.json with the expected values
    malicious_*.bin      pickles whose loading would call os.system (protocol 2 GLOBAL and
                         protocol 4 STACK_GLOBAL); written with pickle.dumps, never loaded
  bert_model.bin       BertForSequenceClassification (HF semantics) with a 2-layer, hidden-64
                       config (V 50, 4 heads of 16, FF 128, 2 labels), B=3, T=7, the last
                       sequence padded after 4 tokens: logits, loss and every gradient (full
                       fine-tuning), and loss plus LoRA/classifier gradients with LoRA r=4,
                       alpha=8 on q/k/v. Float64.
  bert_model_tinybert.bin  the same with TinyBERT 4L-312D widths (V 30522, 12 heads of 26, FF 1200)
                       for one batch B=2, T=16; large gradients sampled every 97th entry.
  optim.bin            three AdamW steps (torch.optim.AdamW) and three Adafactor steps
                       (transformers' Adafactor.step with relative_step=False, transcribed
                       below because transformers is not installable here) in two configurations.
"""
import json
import math
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures")


def random_vec(n, seed, lo=-1.0, hi=1.0):
    """Bit-exact twin of th::random_vec (xorshift32, 24-bit uniforms in float32)."""
    s = (seed * 2654435761 + 12345) & 0xFFFFFFFF
    u = np.empty(n, dtype=np.uint32)
    for i in range(n):
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        u[i] = s >> 8
    lo32, span = np.float32(lo), np.float32(hi) - np.float32(lo)
    return lo32 + (span * u.astype(np.float32)) / np.float32(1 << 24)


def write_fixture(path, tensors):
    """Format: 'tbw-fixture 1\\n', then 'name count\\n' per tensor, 'end\\n', then float32 LE data in order."""
    header = "tbw-fixture 1\n" + "".join(f"{name} {arr.size}\n" for name, arr in tensors) + "end\n"
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(header.encode())
        for _, arr in tensors:
            f.write(np.ascontiguousarray(arr, dtype="<f4").tobytes())
    os.replace(tmp, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(tensors)} tensors)")


def checksum(*arrays):
    return np.array([sum(float(np.sum(a, dtype=np.float64)) for a in arrays)], dtype=np.float32)


# Sampled entries of large gradients keep the fixture small: every STRIDE-th element.
STRIDE = 97


def bert_layer_fixture():
    B, T, C, NH, FF, r, alpha = 2, 9, 312, 12, 1200, 16, 16
    HS, N = C // NH, B * T
    names = [  # (name, shape, lo, hi) in generation order; seeds are 1000 + index
        ("x", (N, C), -1, 1), ("q_w", (C, C), -0.1, 0.1), ("q_b", (C,), -0.1, 0.1), ("k_w", (C, C), -0.1, 0.1),
        ("k_b", (C,), -0.1, 0.1), ("v_w", (C, C), -0.1, 0.1), ("v_b", (C,), -0.1, 0.1), ("ao_w", (C, C), -0.1, 0.1),
        ("ao_b", (C,), -0.1, 0.1), ("ln1_w", (C,), 0.8, 1.2), ("ln1_b", (C,), -0.1, 0.1), ("i_w", (FF, C), -0.1, 0.1),
        ("i_b", (FF,), -0.1, 0.1), ("o_w", (C, FF), -0.1, 0.1), ("o_b", (C,), -0.1, 0.1), ("ln2_w", (C,), 0.8, 1.2),
        ("ln2_b", (C,), -0.1, 0.1), ("q_A", (r, C), -0.1, 0.1), ("q_B", (C, r), -0.1, 0.1), ("k_A", (r, C), -0.1, 0.1),
        ("k_B", (C, r), -0.1, 0.1), ("v_A", (r, C), -0.1, 0.1), ("v_B", (C, r), -0.1, 0.1), ("R", (N, C), -1, 1),
    ]
    t = {}
    for i, (name, shape, lo, hi) in enumerate(names):
        arr = random_vec(int(np.prod(shape)), 1000 + i, lo, hi).reshape(shape)
        t[name] = torch.tensor(arr, dtype=torch.float64, requires_grad=name not in ("R",))
    mask = torch.ones(B, T, dtype=torch.float64)
    mask[1, 6:] = 0
    scale = alpha / r

    x = t["x"]

    def proj(p):  # PEFT LoRA Linear: base(x) + B(A(dropout(x))) * scaling, dropout off
        return x @ t[p + "_w"].T + t[p + "_b"] + ((x @ t[p + "_A"].T) @ t[p + "_B"].T) * scale

    def heads(y):
        return y.view(B, T, NH, HS).permute(0, 2, 1, 3)

    q, k, v = heads(proj("q")), heads(proj("k")), heads(proj("v"))
    scores = q @ k.transpose(-1, -2) / math.sqrt(HS)
    scores = scores + (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float64).min
    probs = torch.softmax(scores, dim=-1)
    ctx = (probs @ v).permute(0, 2, 1, 3).reshape(N, C)
    ln = torch.nn.functional.layer_norm
    ln1 = ln(ctx @ t["ao_w"].T + t["ao_b"] + x, (C,), t["ln1_w"], t["ln1_b"], eps=1e-12)
    inter = torch.nn.functional.gelu(ln1 @ t["i_w"].T + t["i_b"])
    out = ln(inter @ t["o_w"].T + t["o_b"] + ln1, (C,), t["ln2_w"], t["ln2_b"], eps=1e-12)
    (out * t["R"]).sum().backward()

    tensors = [("input_checksum", checksum(*[t[n].detach().numpy() for n, *_ in names])), ("out", out.detach().numpy()),
               ("dx", x.grad.numpy())]
    for name, shape, *_ in names[1:-1]:
        g = t[name].grad.numpy().ravel()
        tensors.append((f"d{name}", g if g.size <= 4 * C or name.endswith(("_A", "_B")) else g[::STRIDE]))
    write_fixture(os.path.join(OUT, "bert_layer_lora.bin"), tensors)


MODEL = dict(V=50, P=16, NTT=2, C=64, NH=4, FF=128, L=2, NC=2, B=3, T=7, r=4, alpha=8)
TINYBERT = dict(V=30522, P=512, NTT=2, C=312, NH=12, FF=1200, L=4, NC=2, B=2, T=16, r=16, alpha=16)


def model_param_specs(m=MODEL):
    """BertForSequenceClassification parameters in Hugging Face order (name, shape, lo, hi)."""
    C, FF = m["C"], m["FF"]
    specs = [("bert.embeddings.word_embeddings.weight", (m["V"], C), -0.5, 0.5),
             ("bert.embeddings.position_embeddings.weight", (m["P"], C), -0.5, 0.5),
             ("bert.embeddings.token_type_embeddings.weight", (m["NTT"], C), -0.5, 0.5),
             ("bert.embeddings.LayerNorm.weight", (C,), 0.8, 1.2), ("bert.embeddings.LayerNorm.bias", (C,), -0.1, 0.1)]
    for l in range(m["L"]):
        p = f"bert.encoder.layer.{l}."
        for name, shape in [("attention.self.query", (C, C)), ("attention.self.key", (C, C)), ("attention.self.value", (C, C)),
                            ("attention.output.dense", (C, C))]:
            specs += [(p + name + ".weight", shape, -0.15, 0.15), (p + name + ".bias", (C,), -0.1, 0.1)]
        specs += [(p + "attention.output.LayerNorm.weight", (C,), 0.8, 1.2), (p + "attention.output.LayerNorm.bias", (C,), -0.1, 0.1),
                  (p + "intermediate.dense.weight", (FF, C), -0.15, 0.15), (p + "intermediate.dense.bias", (FF,), -0.1, 0.1),
                  (p + "output.dense.weight", (C, FF), -0.1, 0.1), (p + "output.dense.bias", (C,), -0.1, 0.1),
                  (p + "output.LayerNorm.weight", (C,), 0.8, 1.2), (p + "output.LayerNorm.bias", (C,), -0.1, 0.1)]
    specs += [("bert.pooler.dense.weight", (C, C), -0.15, 0.15), ("bert.pooler.dense.bias", (C,), -0.1, 0.1),
              ("classifier.weight", (m["NC"], C), -0.3, 0.3), ("classifier.bias", (m["NC"],), -0.1, 0.1)]
    return specs


def model_batch(m=MODEL):
    ids = [[(b * 7 + t * 3 + 1) % m["V"] for t in range(m["T"])] for b in range(m["B"])]
    tt = [[1 if t >= 4 else 0 for t in range(m["T"])] for b in range(m["B"])]
    mask = [[0 if (b == m["B"] - 1 and t >= 4) else 1 for t in range(m["T"])] for b in range(m["B"])]
    labels = [1 - b % 2 for b in range(m["B"])]
    return ids, tt, mask, labels


def make_model(m=MODEL):
    """The fixture model in float64: parameters P (HF names), LoRA A/B per layer and projection, and
    forward(use_lora) -> (logits, loss) on model_batch(m)."""
    C, NH, HS = m["C"], m["NH"], m["C"] // m["NH"]
    specs = model_param_specs(m)
    P = {name: torch.tensor(random_vec(int(np.prod(shape)), 3000 + i, lo, hi).reshape(shape), dtype=torch.float64, requires_grad=True)
         for i, (name, shape, lo, hi) in enumerate(specs)}
    lora = {}
    for l in range(m["L"]):
        for j, proj in enumerate(("query", "key", "value")):
            base = 4000 + 10 * l + 2 * j
            lora[(l, proj, "A")] = torch.tensor(random_vec(m["r"] * C, base, -0.2, 0.2).reshape(m["r"], C), dtype=torch.float64, requires_grad=True)
            lora[(l, proj, "B")] = torch.tensor(random_vec(C * m["r"], base + 1, -0.2, 0.2).reshape(C, m["r"]), dtype=torch.float64, requires_grad=True)
        # attention.output.dense (C->C), intermediate.dense (C->FF), output.dense (FF->C)
        for j, (proj, fin, fout) in enumerate((("ao", C, C), ("i", C, m["FF"]), ("o", m["FF"], C))):
            base = 5000 + 10 * l + 2 * j
            lora[(l, proj, "A")] = torch.tensor(random_vec(m["r"] * fin, base, -0.2, 0.2).reshape(m["r"], fin), dtype=torch.float64, requires_grad=True)
            lora[(l, proj, "B")] = torch.tensor(random_vec(fout * m["r"], base + 1, -0.2, 0.2).reshape(fout, m["r"]), dtype=torch.float64, requires_grad=True)
    ids, tt, mask, labels = model_batch(m)
    ids, tt = torch.tensor(ids), torch.tensor(tt)
    maskt = torch.tensor(mask, dtype=torch.float64)
    B, T = ids.shape
    ln = torch.nn.functional.layer_norm

    def forward(use_lora, all_modules=False, targets=None):
        def lin(inp, w, b, l, proj):  # PEFT LoRA Linear on the FFN / attention output when all_modules
            y = inp @ w.T + b
            if use_lora and all_modules:
                y = y + (inp @ lora[(l, proj, "A")].T) @ lora[(l, proj, "B")].T * (m["alpha"] / m["r"])
            return y

        x = P["bert.embeddings.word_embeddings.weight"][ids] + P["bert.embeddings.position_embeddings.weight"][torch.arange(T)][None] \
            + P["bert.embeddings.token_type_embeddings.weight"][tt]
        x = ln(x, (C,), P["bert.embeddings.LayerNorm.weight"], P["bert.embeddings.LayerNorm.bias"], eps=1e-12)
        for l in range(m["L"]):
            p = f"bert.encoder.layer.{l}."

            def proj(name):
                y = x @ P[p + f"attention.self.{name}.weight"].T + P[p + f"attention.self.{name}.bias"]
                if use_lora:
                    y = y + (x @ lora[(l, name, "A")].T) @ lora[(l, name, "B")].T * (m["alpha"] / m["r"])
                return y.view(B, T, NH, HS).permute(0, 2, 1, 3)

            q, k, v = proj("query"), proj("key"), proj("value")
            s = q @ k.transpose(-1, -2) / math.sqrt(HS) + (1.0 - maskt)[:, None, None, :] * torch.finfo(torch.float64).min
            ctx = (torch.softmax(s, -1) @ v).permute(0, 2, 1, 3).reshape(B, T, C)
            h = ln(lin(ctx, P[p + "attention.output.dense.weight"], P[p + "attention.output.dense.bias"], l, "ao") + x, (C,),
                   P[p + "attention.output.LayerNorm.weight"], P[p + "attention.output.LayerNorm.bias"], eps=1e-12)
            i = torch.nn.functional.gelu(lin(h, P[p + "intermediate.dense.weight"], P[p + "intermediate.dense.bias"], l, "i"))
            x = ln(lin(i, P[p + "output.dense.weight"], P[p + "output.dense.bias"], l, "o") + h, (C,),
                   P[p + "output.LayerNorm.weight"], P[p + "output.LayerNorm.bias"], eps=1e-12)
        pooled = torch.tanh(x[:, 0] @ P["bert.pooler.dense.weight"].T + P["bert.pooler.dense.bias"])
        logits = pooled @ P["classifier.weight"].T + P["classifier.bias"]
        if targets is not None:  # HF BertForSequenceClassification with num_labels == 1: MSE on the squeezed logits
            return logits, torch.nn.functional.mse_loss(logits.squeeze(-1), torch.tensor(targets, dtype=torch.float64))
        return logits, torch.nn.functional.cross_entropy(logits, torch.tensor(labels))

    return specs, P, lora, forward


def bert_model_fixture(m=MODEL, file="bert_model.bin", sample_large=False):
    C = m["C"]
    specs, P, lora, forward = make_model(m)
    logits, loss = forward(False)
    loss.backward()
    tensors = [("logits", logits.detach().numpy()), ("loss", np.array([loss.item()]))]
    for name, *_ in specs:  # large gradients of the TinyBERT fixture are sampled: every STRIDE-th entry
        g = P[name].grad.numpy().ravel()
        tensors.append(("d:" + name, g[::STRIDE] if sample_large and g.size > 4 * C else g))
    for t in list(P.values()) + list(lora.values()):
        t.grad = None
    logits, loss = forward(True)
    loss.backward()
    tensors += [("lora_logits", logits.detach().numpy()), ("lora_loss", np.array([loss.item()]))]
    tensors += [(f"lora_d:{l}.{proj}.{ab}", lora[(l, proj, ab)].grad.numpy().ravel()[:: STRIDE if sample_large else 1])
                for l in range(m["L"]) for proj in ("query", "key", "value") for ab in "AB"]
    tensors += [("lora_d:classifier.weight", P["classifier.weight"].grad.numpy()), ("lora_d:classifier.bias", P["classifier.bias"].grad.numpy())]
    write_fixture(os.path.join(OUT, file), tensors)


def lora_all_modules_fixture(m=MODEL):
    """LoRA r=4 alpha=8 on all six linear layers of each encoder layer (PEFT target_modules query, key, value,
    attention.output.dense, intermediate.dense, output.dense): logits, loss and every LoRA and classifier gradient."""
    specs, P, lora, forward = make_model(m)
    logits, loss = forward(True, all_modules=True)
    loss.backward()
    tensors = [("logits", logits.detach().numpy()), ("loss", np.array([loss.item()]))]
    tensors += [(f"d:{l}.{proj}.{ab}", lora[(l, proj, ab)].grad.numpy().ravel())
                for l in range(m["L"]) for proj in ("query", "key", "value", "ao", "i", "o") for ab in "AB"]
    tensors += [("d:classifier.weight", P["classifier.weight"].grad.numpy()), ("d:classifier.bias", P["classifier.bias"].grad.numpy())]
    write_fixture(os.path.join(OUT, "bert_model_lora_all.bin"), tensors)


REGRESSION_TARGETS = [0.5, 2.0, -1.0]


def regression_fixture(m=MODEL):
    """num_labels = 1 (STS-B-style regression): MSE loss, logits and every gradient, full fine-tuning."""
    specs, P, lora, forward = make_model(dict(m, NC=1))
    logits, loss = forward(False, targets=REGRESSION_TARGETS)
    loss.backward()
    tensors = [("logits", logits.detach().numpy()), ("loss", np.array([loss.item()]))]
    tensors += [("d:" + name, P[name].grad.numpy().ravel()) for name, *_ in specs]
    write_fixture(os.path.join(OUT, "bert_model_regression.bin"), tensors)


def hf_polynomial(k, total=10, warmup=2, lr=1e-2, lr_end=1e-7, power=1.0):
    """transformers.get_polynomial_decay_schedule_with_warmup's multiplier for step k (0-based)."""
    if k < warmup:
        return k / max(1, warmup)
    if k > total:
        return lr_end / lr
    return ((lr - lr_end) * (1 - (k - warmup) / (total - warmup)) ** power + lr_end) / lr


def hf_cosine(k, total=10, warmup=2):
    if k < warmup:
        return k / max(1, warmup)
    progress = (k - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))


def train_steps_fixture(m=MODEL):
    """Ten optimizer steps on the fixed batch, no dropout, as the HF Trainer takes them:
    LoRA r=4 alpha=8 on q/k/v + classifier with AdamW (weight decay 0.01, not on biases), lr 1e-2 polynomial
    with 2 warmup steps, clip_grad_norm_ 1.0; and full fine-tuning with SGD (momentum 0.9, weight decay 0.01
    not on biases/LayerNorm), lr 5e-2 cosine with 2 warmup steps, clip 1.0. Losses before each update."""
    tensors = []
    specs, P, lora, forward = make_model(m)
    lora_params = [lora[k] for k in sorted(lora)]
    opt = torch.optim.AdamW([{"params": lora_params + [P["classifier.weight"]], "weight_decay": 0.01},
                             {"params": [P["classifier.bias"]], "weight_decay": 0.0}], lr=1e-2)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, hf_polynomial)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        _, loss = forward(True)
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lora_params + [P["classifier.weight"], P["classifier.bias"]], 1.0)
        opt.step()
        sched.step()
    tensors.append(("lora_adamw_losses", np.array(losses)))

    specs, P, lora, forward = make_model(m)
    decay = [P[n] for n, *_ in specs if not (n.endswith(".bias") or n.endswith("LayerNorm.weight"))]
    no_decay = [P[n] for n, *_ in specs if n.endswith(".bias") or n.endswith("LayerNorm.weight")]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=5e-2, momentum=0.9)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, hf_cosine)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        _, loss = forward(False)
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(P.values()), 1.0)
        opt.step()
        sched.step()
    tensors.append(("full_sgd_losses", np.array(losses)))
    write_fixture(os.path.join(OUT, "train_steps.bin"), tensors)


def hf_adafactor_step(p, grad, state, lr, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=-0.8, beta1=None,
                      weight_decay=0.0, scale_parameter=False):
    """transformers.optimization.Adafactor.step for one parameter, relative_step=False."""
    factored = grad.dim() >= 2
    if not state:
        state["step"] = 0
        if beta1 is not None:
            state["exp_avg"] = torch.zeros_like(grad)
        if factored:
            state["row"] = torch.zeros(grad.shape[:-1], dtype=grad.dtype)
            state["col"] = torch.zeros(grad.shape[:-2] + grad.shape[-1:], dtype=grad.dtype)
        else:
            state["sq"] = torch.zeros_like(grad)
    state["step"] += 1
    rms = lambda x: x.norm(2) / (x.numel() ** 0.5)
    lr_t = lr * (max(eps[1], rms(p).item()) if scale_parameter else 1.0)
    beta2t = 1.0 - math.pow(state["step"], decay_rate)
    update = grad**2 + eps[0]
    if factored:
        state["row"].mul_(beta2t).add_(update.mean(dim=-1), alpha=1.0 - beta2t)
        state["col"].mul_(beta2t).add_(update.mean(dim=-2), alpha=1.0 - beta2t)
        r_factor = (state["row"] / state["row"].mean(dim=-1, keepdim=True)).rsqrt_().unsqueeze(-1)
        c_factor = state["col"].unsqueeze(-2).rsqrt()
        update = (r_factor * c_factor).mul_(grad)
    else:
        state["sq"].mul_(beta2t).add_(update, alpha=1.0 - beta2t)
        update = state["sq"].rsqrt().mul_(grad)
    update.div_((rms(update) / clip_threshold).clamp_(min=1.0))
    update.mul_(lr_t)
    if beta1 is not None:
        state["exp_avg"].mul_(beta1).add_(update, alpha=1 - beta1)
        update = state["exp_avg"]
    if weight_decay != 0:
        p.add_(p, alpha=-weight_decay * lr_t)
    p.add_(-update)


def optim_fixture():
    rows, cols = 64, 100
    p_mat0 = random_vec(rows * cols, 2000, -1, 1).reshape(rows, cols)
    p_vec0 = random_vec(cols, 2001, -1, 1)
    grads = [(random_vec(rows * cols, 2010 + s, -1, 1).reshape(rows, cols), random_vec(cols, 2020 + s, -1, 1)) for s in range(3)]
    tensors = [("input_checksum", checksum(p_mat0, p_vec0, *[g for pair in grads for g in pair]))]

    pm, pv = torch.tensor(p_mat0, requires_grad=True), torch.tensor(p_vec0, requires_grad=True)
    opt = torch.optim.AdamW([pm, pv], lr=3.9e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    for s, (gm, gv) in enumerate(grads):
        pm.grad, pv.grad = torch.tensor(gm), torch.tensor(gv)
        opt.step()
        tensors += [(f"adamw_step{s + 1}_mat", pm.detach().numpy().copy()), (f"adamw_step{s + 1}_vec", pv.detach().numpy().copy())]

    configs = {"plain": dict(lr=1e-3), "beta1_wd_scaled": dict(lr=1e-3, beta1=0.9, weight_decay=0.01, scale_parameter=True)}
    for label, kw in configs.items():
        pm, pv = torch.tensor(p_mat0.copy()), torch.tensor(p_vec0.copy())
        sm, sv = {}, {}
        for s, (gm, gv) in enumerate(grads):
            hf_adafactor_step(pm, torch.tensor(gm), sm, **kw)
            hf_adafactor_step(pv, torch.tensor(gv), sv, **kw)
            tensors += [(f"adafactor_{label}_step{s + 1}_mat", pm.numpy().copy()), (f"adafactor_{label}_step{s + 1}_vec", pv.numpy().copy())]
    write_fixture(os.path.join(OUT, "optim.bin"), tensors)


def torch_bin_fixtures():
    import io
    import pickle
    import zipfile

    out = os.path.join(HERE, "..", "..", "src-main", "engine", "bert", "fixtures")
    os.makedirs(out, exist_ok=True)
    w = torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4
    sd = {
        "a.weight": w,
        "a.weight_t": w.t(),  # a non-contiguous view of the same storage
        "a.bias": torch.tensor([1.5, -2.0]),
        "half": torch.tensor([1.0, -0.5, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([3.140625, -1.0], dtype=torch.bfloat16),
        "ids": torch.tensor([[0, 1, 2]], dtype=torch.int64),
        "param": torch.nn.Parameter(torch.tensor([0.25, 0.75])),
    }
    buf = io.BytesIO()
    torch.save(sd, buf)
    with open(os.path.join(out, "state_dict.bin"), "wb") as f:
        f.write(buf.getvalue())
    expected = {k: {"shape": list(v.shape), "values": v.detach().float().flatten().tolist() if v.is_floating_point() else v.flatten().tolist()} for k, v in sd.items()}
    with open(os.path.join(out, "state_dict.json"), "w") as f:
        json.dump(expected, f, indent=1)

    class RunsShell:  # its pickle calls os.system when loaded; we only dump it
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    for proto in (2, 4):
        data = pickle.dumps({"weight": RunsShell()}, protocol=proto)
        with zipfile.ZipFile(os.path.join(out, f"malicious_p{proto}.bin"), "w") as z:  # fixed dates: reproducible bytes
            z.writestr(zipfile.ZipInfo("archive/data.pkl", date_time=(2020, 1, 1, 0, 0, 0)), data)
            z.writestr(zipfile.ZipInfo("archive/version", date_time=(2020, 1, 1, 0, 0, 0)), "3\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    print(f"PyTorch {torch.__version__}")
    bert_layer_fixture()
    bert_model_fixture()
    bert_model_fixture(TINYBERT, "bert_model_tinybert.bin", sample_large=True)
    optim_fixture()
    train_steps_fixture()
    lora_all_modules_fixture()
    regression_fixture()
    torch_bin_fixtures()
