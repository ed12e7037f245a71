#!/usr/bin/env bash
# Fails when a group of tests that scripts/setup.sh provides the dependencies for is missing from a
# build's ctest list. Such groups are only registered when CMake finds their dependency (mpirun,
# slurmctld, the SentencePiece library, a Python interpreter), so a missing dependency makes them
# vanish from `ctest` without a failure; this turns that into one.
#   usage: check_test_labels.sh [BUILD_DIR]   (default: build/release, the release preset's folder)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/release}"

# count ARGS...: how many tests `ctest -N ARGS` lists in the build folder.
count() {
  local listing
  listing="$(ctest --test-dir "$build" -N "$@")" || { echo "check_test_labels: ctest -N $* failed in $build" >&2; exit 1; }
  sed -n 's/^Total Tests: \([0-9][0-9]*\)$/\1/p' <<<"$listing"
}

# group DESCRIPTION WHAT_IS_NEEDED CTEST_SELECTION...
failures=0
group() {
  local what="$1" needs="$2"
  shift 2
  local n
  n="$(count "$@")"
  if [ -z "$n" ] || [ "$n" -eq 0 ]; then
    echo "check_test_labels: no $what tests (ctest $*) in $build: $needs" >&2
    failures=$((failures + 1))
  else
    echo "check_test_labels: $n $what tests"
  fi
}

group "MPI" "CMake found no MPI or no mpirun (openmpi-bin, libopenmpi-dev; scripts/setup.sh installs them)" -L '^mpi$'
group "Slurm" "CMake found no slurmctld (slurm-wlm, munge; scripts/setup.sh installs them)" -L '^slurm$'
group "SentencePiece" "built without EAGLERUN_WITH_SENTENCEPIECE (libsentencepiece-dev)" -R '^SentencePiece\.'
group "Python" "CMake found no Python 3 interpreter (python3)" -R '^sharegpt_prepare_py$'
group "emulated CUDA" "no CUDA headers or no Boost.Context (libboost-context-dev; scripts/setup.sh installs it)" -L '^cuda-emu$'

if [ "$failures" -ne 0 ]; then
  echo "check_test_labels: $failures expected test group(s) missing; install them with scripts/setup.sh" >&2
  exit 1
fi
