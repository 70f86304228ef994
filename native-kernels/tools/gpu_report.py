#!/usr/bin/env python3
"""Puts bench_gpu's and gpu_peer.py's JSON side by side: our time / PyTorch's for each forward
shape and precision (targets: <= 0.5x at batch <= 16, <= 0.8x at batch >= 128) and PyTorch's
LoRA step time / ours (target >= 2x), with peak memory of both. Usage: gpu_report.py OURS TORCH"""
import json
import sys


def key(r):
    return (r["kind"], r["precision"], r["batch"], r["seq"])


def mib(b):
    return f"{b / 2**20:.0f}" if b else "-"


def main():
    ours = json.load(open(sys.argv[1]))
    torch = json.load(open(sys.argv[2]))
    peer = {key(r): r for r in torch.get("rows", [])}
    print(f"# GPU benchmark: {ours.get('gpu', '?')}")
    print(f"PyTorch {torch.get('torch', '-')}, transformers {torch.get('transformers', '-')}, peft {torch.get('peft', '-')}, "
          f"attention {torch.get('attention', '-')}; ours with cuBLAS: {ours.get('cublas')}")
    if torch.get("skipped"):
        print(f"PyTorch side skipped: {torch['skipped']}")
    print()
    print("| what | precision | batch | T | ours ms | PyTorch ms | ratio | target | met | ours peak MiB | PyTorch peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    failed = 0
    for r in ours.get("rows", []):
        p = peer.get(key(r))
        if r["kind"] == "forward":
            target = 0.5 if r["batch"] <= 16 else 0.8
            ratio = r["ms"] / p["ms"] if r.get("ms") and p and p.get("ms") else None
            met = ratio is not None and ratio <= target
            tgt = f"<= {target}x"
        else:
            ratio = p["ms"] / r["ms"] if r.get("ms") and p and p.get("ms") else None
            met = ratio is not None and ratio >= 2.0
            tgt = ">= 2x (speedup)"
        failed += ratio is not None and not met
        ms = f"{r['ms']:.3f}" if r.get("ms") else f"skipped: {r.get('skipped')}"
        pms = f"{p['ms']:.3f}" if p and p.get("ms") else (f"skipped: {p.get('skipped')}" if p else "-")
        print(f"| {r['kind']} | {r['precision']} | {r['batch']} | {r['seq']} | {ms} | {pms} | "
              f"{f'{ratio:.2f}x' if ratio is not None else '-'} | {tgt} | {'yes' if met else ('no' if ratio is not None else '-')} | "
              f"{mib(r.get('peak_bytes'))} | {mib(p.get('peak_bytes') if p else 0)} |")
    print()
    print(f"{failed} comparison(s) missed their target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
