#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: build with the CUDA backend, run the gpu-labelled tests, compare the
# default model's greedy tokens on the GPU with the CPU, check EAGLE stays lossless on the GPU, and
# measure plain decoding, EAGLE and the verify cost curve there, then a random-weight bf16 model of
# LLaMA-7B's layer shape (its decode rate as a share of the GPU's measured copy bandwidth, its verify
# curve; tp = 2 over NCCL when there are two GPUs); one summary table at the end.
#   usage: scripts/gpu_check.sh [BUILD_DIR]   (default build/gpu; needs nvcc, a driver and the default model)
#   env: OUT (default BUILD_DIR/gpu-check), LAYERS (the 7B-shaped model's layers, default 8 of LLaMA-7B's
#        32: writing its random weights takes ~10 s a layer, and a forward's time scales with layers)
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
cmake --build "$build" -j "$(nproc)" --target eaglerun test_cuda_backend_gpu make_random_llama
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

echo "== LLaMA-7B layer shape (4096 hidden, 32 heads, 11008 FFN), bf16, ${LAYERS:-8} layers, random weights"
big="$out/llama7b-shape"
[ -f "$big/model.safetensors" ] || "$build/bench/make_random_llama" "$big" 4096 32 32 11008 "${LAYERS:-8}" 49152
"$eaglerun" bench --model "$big" --tokenizer default --device cuda --prompt-tokens 128 --decode-tokens 128 \
  --json >"$out/llama7b-decode.json" 2>"$out/llama7b-decode.err" || true
row "7B-shape decode (bf16)" "$(python3 -c "import json; d=json.load(open('$out/llama7b-decode.json')); \
  print(f\"{d['decode_tokens_per_second']:.1f} tokens/s, {d['achieved_gbps']:.0f} of {d['measured_bandwidth_gbps']:.0f} GB/s \
({d['measured_bandwidth_kind']}): {100 * d['bandwidth_share']:.0f}%\")" 2>/dev/null || echo "see llama7b-decode.err")"
"$eaglerun" bench --model "$big" --tokenizer default --device cuda --verify-curve --curve-max 128 \
  >"$out/llama7b-verify-curve.txt" 2>&1 || true
row "7B-shape verify curve" "$out/llama7b-verify-curve.txt"
if [ "$(nvidia-smi -L | wc -l)" -ge 2 ] && command -v mpirun >/dev/null; then
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 "$eaglerun" bench --model "$big" \
    --tokenizer default --device cuda --tp 2 --prompt-tokens 128 --decode-tokens 128 >"$out/llama7b-tp2.txt" 2>&1 || true
  row "7B-shape tp=2 (NCCL)" "$(grep -m1 '^decode' "$out/llama7b-tp2.txt" || echo "see $out/llama7b-tp2.txt")"
else
  row "7B-shape tp=2 (NCCL)" "not run: fewer than two GPUs or no mpirun"
fi

echo
echo "== summary"
printf '%s\n' "${summary[@]}" | tee "$out/summary.txt"
