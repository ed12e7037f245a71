#!/usr/bin/env bash
# Builds llama.cpp from source through llama-cpp-python (PyPI) into .venv-llamacpp/ (git-ignored),
# for the side-by-side benchmark bench/compare_llama_cpp.py. The CPU's own flags (AVX2, and the
# AVX-512 ones where /proc/cpuinfo lists them; never AMX), no GPU. Idempotent per flag set (another
# CPU rebuilds); takes ~10 minutes on 2 cores the first time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-llamacpp"
has() { grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -qx "$1" && echo ON || echo OFF; }
avx512="$(has avx512f)"
isa_flags="-DGGML_AVX512=$avx512 -DGGML_AVX512_VBMI=$(has avx512vbmi) -DGGML_AVX512_VNNI=$(has avx512_vnni) \
-DGGML_AVX512_BF16=$(has avx512_bf16)"
stamp="no-amx-v2 $isa_flags"
[ -f "$venv/READY" ] && [ "$(cat "$venv/READY")" = "$stamp" ] && exit 0
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON $isa_flags \
-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
-DGGML_AMX_BF16=OFF -DGGML_CUDA=OFF -DGGML_BLAS=OFF -DLLAMA_CURL=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 \
  "$venv/bin/pip" install --quiet --no-cache-dir "llama-cpp-python==0.3.36"
"$venv/bin/python" -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__)"
echo "$stamp" >"$venv/READY"
