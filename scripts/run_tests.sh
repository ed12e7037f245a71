#!/usr/bin/env bash
# The whole test suite: set up, run every ctest test of the release build (and fail if the MPI, Slurm,
# SentencePiece or Python tests are missing from it), then the file-parser tests and the emulated CUDA
# kernels (cuda-emu) again under AddressSanitizer + UBSan, then each libFuzzer target for a short time.
#   FUZZ_SECONDS (default 12) sets the fuzzing time per target (longer runs: scripts/fuzz.sh SECONDS).
# Each phase prints its wall time, so a CI log shows where the time went.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
phase_start=$SECONDS
phase_done() { echo "== $1 took $((SECONDS - phase_start)) s"; phase_start=$SECONDS; }
./scripts/setup.sh
phase_done "set-up and release build"

echo "== unit and model tests (release)"
ctest --preset release -j "$(nproc)" --output-on-failure
# MPI, Slurm, SentencePiece and Python tests are only registered when their dependency is found.
./scripts/check_test_labels.sh build/release
phase_done "release tests"

echo "== parser and emulated CUDA kernel tests under AddressSanitizer + UBSan"
cmake --preset asan >/dev/null
asan_targets=(test_weights test_tokenizer)
asan_labels="parsers"
# The emulated CUDA kernels need the CUDA headers (docs/CUDA.md); without them CMake leaves them out.
# (The emulated backend's whole-model tests run in the release suite only: under the sanitizers they
# would need all of core compiled a second time.)
# (The target list is read whole first: grep -q closing the pipe early would fail it under pipefail.)
asan_target_list="$(cmake --build --preset asan --target help)"
if grep -q '^test_cuda_emulated:' <<<"$asan_target_list"; then
  asan_targets+=(test_cuda_emulated test_cuda_sum_blocks_emulated)
  asan_labels="parsers|cuda-emu"
else
  echo "(no CUDA headers: the cuda-emu tests are not built)"
fi
cmake --build --preset asan -j "$(nproc)" --target "${asan_targets[@]}"
ctest --test-dir build/asan -L "$asan_labels" -j "$(nproc)" --output-on-failure --no-tests=error
phase_done "sanitizer build and tests"

echo "== fuzzing the file parsers"
./scripts/fuzz.sh "${FUZZ_SECONDS:-12}"
phase_done "fuzzing"
