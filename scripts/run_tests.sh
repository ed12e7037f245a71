#!/usr/bin/env bash
# The whole test suite: set up, run every ctest test of the release build (and fail if the MPI, Slurm,
# SentencePiece or Python tests are missing from it), then the file-parser tests again under
# AddressSanitizer + UBSan, then each libFuzzer target for a short time.
#   FUZZ_SECONDS (default 20) sets the fuzzing time per target.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./scripts/setup.sh

echo "== unit and model tests (release)"
ctest --preset release -j "$(nproc)"
# MPI, Slurm, SentencePiece and Python tests are only registered when their dependency is found.
./scripts/check_test_labels.sh build/release

echo "== parser tests under AddressSanitizer + UBSan"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)" --target test_weights test_tokenizer
ctest --test-dir build/asan -L parsers -j "$(nproc)" --output-on-failure --no-tests=error

echo "== fuzzing the file parsers"
./scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
