#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: build with the CUDA backend, run the gpu-labelled tests, compare the
# default model's greedy tokens on the GPU with the CPU, check EAGLE stays lossless on the GPU, and
# measure plain decoding, EAGLE and the verify cost curve there; one summary table at the end.
#   usage: scripts/gpu_check.sh [BUILD_DIR]   (default build/gpu; needs nvcc, a driver and the default model)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${1:-build/gpu}"
out="${OUT:-$build/gpu-check}"
mkdir -p "$out"
summary=()
row() { summary+=("$(printf '%-44s %s' "$1" "$2")"); }

echo "== build ($build, CUDA on)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEAGLERUN_CUDA=ON -DEAGLERUN_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target eaglerun test_cuda_backend_gpu
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
row "GPU" "$(head -1 "$out/gpu.txt")"

echo "== gpu tests"
if "$build/tests/cuda/test_cuda_backend_gpu" >"$out/gpu-tests.txt" 2>&1; then
  row "gpu tests (tiny models vs CPU reference)" "passed: $(grep -c '^\[       OK' "$out/gpu-tests.txt") tests"
else
  row "gpu tests (tiny models vs CPU reference)" "FAILED (see $out/gpu-tests.txt)"
fi

eaglerun="$build/apps/eaglerun"
prompt="Write a short story about a dragon who learns to read."
echo "== greedy tokens, default model: GPU vs CPU"
"$eaglerun" generate --device cpu --prompt "$prompt" --max-new-tokens 64 --json >"$out/cpu.json"
"$eaglerun" generate --device cuda --prompt "$prompt" --max-new-tokens 64 --json >"$out/gpu.json"
same=$(python3 -c "import json,sys; a=json.load(open('$out/cpu.json')); b=json.load(open('$out/gpu.json')); \
  n=next((i for i,(x,y) in enumerate(zip(a['output_tokens'],b['output_tokens'])) if x!=y), min(len(a['output_tokens']),len(b['output_tokens']))); print(n)")
row "greedy tokens equal to the CPU's (of 64)" "$same"

echo "== EAGLE on the GPU: lossless and speed (MT-bench, 10 questions)"
"$eaglerun" bench --device cuda --draft default --tree chain:3 --draft-vocab 2048 --limit 10 >"$out/eagle.txt" 2>&1 || true
row "EAGLE chain:3 vs plain (bench)" "$(grep -i -m1 'speedup' "$out/eagle.txt" || echo 'see eagle.txt')"
row "EAGLE output identical to plain" "$(grep -i -m1 'identical' "$out/eagle.txt" || echo 'see eagle.txt')"

echo "== plain decoding and the verify cost curve on the GPU"
"$eaglerun" bench --device cuda --prompt-tokens 128 --decode-tokens 256 >"$out/decode.txt" 2>&1 || true
row "plain decode (default model)" "$(grep -m1 '^decode' "$out/decode.txt" || echo 'see decode.txt')"
"$eaglerun" bench --device cuda --verify-curve >"$out/verify-curve.txt" 2>&1 || true
row "verify curve" "$out/verify-curve.txt"

echo
echo "== summary"
printf '%s\n' "${summary[@]}" | tee "$out/summary.txt"
