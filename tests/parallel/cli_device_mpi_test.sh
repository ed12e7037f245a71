#!/usr/bin/env bash
# --device cuda with a split under mpirun where no GPU can be used (ctest mpi.cli_device): the job
# ends non-zero within seconds with one error line naming the CUDA error (a build without the CUDA
# backend: one line saying so), for a tensor split (NCCL path) and a pipeline split (no NCCL).
# Skipped (exit 77) where a GPU is usable.
# usage: cli_device_mpi_test.sh EAGLERUN MPIRUN MODEL
set -uo pipefail
eaglerun="$1" mpirun="$2" model="$3"
if command -v nvidia-smi > /dev/null && nvidia-smi -L 2>/dev/null | grep -q "^GPU"; then
  echo "SKIP: a GPU is present"
  exit 77
fi
err="$(mktemp)"
trap 'rm -f "$err"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$err" >&2; exit 1; }

for split in "cuda --tp 2" "cuda --pp 2" "cuda:1 --tp 1 --pp 2"; do
  start=$SECONDS
  # shellcheck disable=SC2086
  timeout -s KILL 120 "$mpirun" -np 2 "$eaglerun" generate --model "$model" --prompt Hi --max-new-tokens 4 \
    --device $split > /dev/null 2> "$err"
  rc=$?
  echo "== --device $split: exit $rc after $((SECONDS - start)) s: $(grep "error:" "$err")"
  [ "$rc" -ne 0 ] || fail "exit 0 for $split"
  [ "$rc" -ne 137 ] || fail "the job hung for $split"
  [ "$(grep -c "error:" "$err")" -eq 1 ] || fail "not exactly one error line for $split"
  grep -q "eaglerun: rank 0: error: .*\(cuda[A-Z][A-Za-z]*\|no CUDA backend\)" "$err" \
    || fail "no CUDA error name for $split"
done
echo "PASS"
