#!/usr/bin/env python3
"""The PyTorch side of the GPU benchmark (bench/bench_gpu.cpp runs ours): the same TinyBERT-4L
(312 hidden, 12 heads, 1200 FF, seeded random weights, built from a config: no download) as HF
BertForSequenceClassification with SDPA attention on the same GPU. Forward latency at batch 1,
16, 128, 1024 and T = 128, 512 in fp32 and under bf16 autocast; one PEFT LoRA training step
(r=16, alpha=16, dropout 0.05 on query/key/value, classifier saved, AdamW) at batch 128, T=128;
peak GPU memory of each. Usage: gpu_peer.py [--json FILE] [--quick]. Needs torch, transformers
and peft; says what is missing and exits 0 where they or a GPU are absent."""
import argparse
import json
import statistics
import sys
import time


def skip(args, why):
    print(f"gpu_peer: skipped: {why}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"skipped": why, "rows": []}, f)
    return 0


def timed(torch, fn, min_iters, budget_s):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times, start = [], time.perf_counter()
    while len(times) < min_iters or (time.perf_counter() - start < budget_s and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def build(torch, transformers):
    cfg = transformers.BertConfig(vocab_size=30522, hidden_size=312, num_hidden_layers=4, num_attention_heads=12,
                                  intermediate_size=1200, max_position_embeddings=512, num_labels=2)
    torch.manual_seed(0)
    cls = transformers.AutoModelForSequenceClassification
    try:
        model = cls.from_config(cfg, attn_implementation="sdpa")
    except (TypeError, ValueError):  # older transformers: its default attention
        model = cls.from_config(cfg)
    return model.cuda()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    try:
        import peft
        import torch
        import transformers
    except ImportError as e:
        return skip(args, f"{e.name} is not installed (pip install torch transformers peft)")
    if not torch.cuda.is_available():
        return skip(args, "torch sees no CUDA GPU")
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 rows are fp32, as ours
    torch.backends.cudnn.allow_tf32 = False
    gpu = torch.cuda.get_device_name(0)
    print(f"gpu_peer on {gpu}: torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}")
    rows = []
    batches, seqs = ([1, 16], [128]) if args.quick else ([1, 16, 128, 1024], [128, 512])
    model = build(torch, transformers).eval()
    attn = getattr(model.config, "_attn_implementation", "unknown")
    for precision in ("fp32", "bf16"):
        for T in seqs:
            for B in batches:
                row = {"kind": "forward", "precision": precision, "batch": B, "seq": T, "ms": None, "peak_bytes": 0, "skipped": None}
                try:
                    ids = torch.randint(100, 30000, (B, T), device="cuda")
                    mask = torch.ones(B, T, dtype=torch.long, device="cuda")
                    torch.cuda.empty_cache()
                    torch.cuda.reset_peak_memory_stats()

                    def fwd():
                        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
                            model(input_ids=ids, attention_mask=mask)

                    row["ms"] = timed(torch, fwd, 5, 1.5)
                    row["peak_bytes"] = torch.cuda.max_memory_allocated()
                    print(f"  forward {precision} B={B:<4} T={T:<3} {row['ms']:9.3f} ms  peak {row['peak_bytes'] / 2**20:.0f} MiB")
                except torch.cuda.OutOfMemoryError as e:
                    row["skipped"] = f"out of memory: {e}".splitlines()[0]
                    print(f"  forward {precision} B={B} T={T} skipped: {row['skipped']}")
                rows.append(row)
    del model
    for precision in ("fp32", "bf16"):
        model = build(torch, transformers)
        lcfg = peft.LoraConfig(task_type=peft.TaskType.SEQ_CLS, r=16, lora_alpha=16, lora_dropout=0.05,
                               target_modules=["query", "key", "value"], modules_to_save=["classifier"])
        model = peft.get_peft_model(model, lcfg).train()
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3.9e-4)
        ids = torch.randint(100, 30000, (128, 128), device="cuda")
        mask = torch.ones(128, 128, dtype=torch.long, device="cuda")
        labels = torch.randint(0, 2, (128,), device="cuda")
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()

        def step():
            opt.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            opt.step()

        ms = timed(torch, step, 5, 3.0)
        peak = torch.cuda.max_memory_allocated()
        print(f"  LoRA step {precision} B=128 T=128 {ms:9.3f} ms  peak {peak / 2**20:.0f} MiB")
        rows.append({"kind": "lora_step", "precision": precision, "batch": 128, "seq": 128, "ms": ms, "peak_bytes": peak, "skipped": None})
        del model, opt
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"gpu": gpu, "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                       "attention": attn, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
