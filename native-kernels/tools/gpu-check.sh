#!/usr/bin/env bash
# Builds and runs every GPU test and the GPU benchmark on a bare GPU machine (nvcc, CMake,
# Python with torch/transformers/peft; no network, no Node.js needed), writing everything
# to OUT_DIR: build.log, nvidia-smi.txt, tests.log, bench-ours.{log,json},
# bench-torch.{log,json}, report.md, summary.txt. Usage: gpu-check.sh OUT_DIR [--quick]
set -uo pipefail
out=${1:?usage: gpu-check.sh OUT_DIR [--quick]}
quick=${2:-}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
build=${TBW_GPU_BUILD:-$out/build}
start=$(date +%s)
step() { echo "== $* ($(( $(date +%s) - start ))s)"; }

nvcc=$(command -v nvcc || true)
for d in "${CUDA_HOME:-}" /usr/local/cuda; do [ -z "$nvcc" ] && [ -n "$d" ] && [ -x "$d/bin/nvcc" ] && nvcc="$d/bin/nvcc"; done
[ -z "$nvcc" ] && { echo "gpu-check: nvcc not found (put it on PATH or set CUDA_HOME)" | tee "$out/summary.txt"; exit 1; }
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || echo "gpu-check: nvidia-smi failed (see nvidia-smi.txt)"
# Only this machine's GPU architecture: the full list is for release builds.
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
archs=${TBW_CUDA_ARCHS:-${cap:+${cap}-real}}
archs=${archs:-80-real;90-real}

step "building with $nvcc for $archs"
{ cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc" "-DTBW_CUDA_ARCHS=$archs" &&
  cmake --build "$build" -j "$(nproc)"; } > "$out/build.log" 2>&1
built=$?
[ $built -ne 0 ] && { tail -30 "$out/build.log"; echo "gpu-check: the build FAILED (build.log)" | tee "$out/summary.txt"; exit 1; }

step "kernel and model tests (CPU references vs cuda:0)"
(cd "$build" && TBW_TEST_GPUS=0 ctest --output-on-failure -V) > "$out/tests.log" 2>&1
tests_rc=$?
grep -E "^[0-9]+: test_\w+: " "$out/tests.log" | sed 's/^[0-9]*: //' | tee "$out/tests-summary.txt"
grep -E "skip .*\[cuda" "$out/tests.log" | head -5

step "our GPU benchmark"
"$build/bench_gpu" --json "$out/bench-ours.json" $quick 2>&1 | tee "$out/bench-ours.log"
step "PyTorch on the same GPU"
python3 "$here/tools/gpu_peer.py" --json "$out/bench-torch.json" $quick 2>&1 | tee "$out/bench-torch.log"
if [ -f "$out/bench-ours.json" ] && [ -f "$out/bench-torch.json" ]; then
  python3 "$here/tools/gpu_report.py" "$out/bench-ours.json" "$out/bench-torch.json" | tee "$out/report.md"
fi

count() { awk -v w="$1" '{for(i=1;i<NF;i++) if ($(i+1) ~ "^"w",?$") s+=$i} END {print s+0}' "$out/tests-summary.txt"; }
gpu_skip=$(grep -m1 -oE "skip [^:]*\[cuda[^]]*\]: .*" "$out/tests.log" | sed 's/^skip //')
{
  echo "gpu-check: tests $(count passed) passed, $(count failed) failed, $(count skipped) skipped (ctest exit $tests_rc); $(( $(date +%s) - start ))s in all"
  [ -n "$gpu_skip" ] && echo "gpu-check: the GPU was NOT tested: $gpu_skip"
} | tee "$out/summary.txt"
[ "$tests_rc" -ne 0 ] && exit 1
[ -n "$gpu_skip" ] && exit 2
exit 0
