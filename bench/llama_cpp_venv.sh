#!/usr/bin/env bash
# Builds llama.cpp from source through llama-cpp-python (PyPI) into .venv-llamacpp/ (git-ignored),
# for the side-by-side benchmark bench/compare_llama_cpp.py. Native CPU flags (AVX-512 here),
# no GPU. Idempotent; takes ~10 minutes on 2 cores the first time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-llamacpp"
stamp="no-amx-v1"
[ -f "$venv/READY" ] && [ "$(cat "$venv/READY")" = "$stamp" ] && exit 0
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON \
-DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
-DGGML_AMX_BF16=OFF -DGGML_CUDA=OFF -DGGML_BLAS=OFF -DLLAMA_CURL=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 \
  "$venv/bin/pip" install --quiet --no-cache-dir "llama-cpp-python==0.3.36"
"$venv/bin/python" -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__)"
echo "$stamp" >"$venv/READY"
