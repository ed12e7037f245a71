#!/usr/bin/env bash
# An NCCL call failing on one rank of a split on GPUs (ctest mpi.nccl_split_error): nccl_split_check
# with tp = 2 on the emulated CUDA backend, where rank 1's 3rd ncclSend (inside the first forward's
# all-reduces) fails with NCCL's one-line error. The job must end non-zero within 30 s (no rank left
# waiting in the all-reduce), with exactly one error line, naming the call and the rank.
# usage: nccl_split_error_test.sh MPIRUN NCCL_SPLIT_CHECK MODEL
set -uo pipefail
mpirun="$1" check="$2" model="$3"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$out" >&2; exit 1; }

start=$SECONDS
timeout -s KILL 60 "$mpirun" -np 2 "$check" --model "$model" --tp 2 --fail-rank 1 --fail-after 3 > "$out" 2>&1
rc=$?
elapsed=$((SECONDS - start))
cat "$out"
[ "$rc" -ne 0 ] || fail "exit 0 although rank 1's ncclSend failed"
[ "$rc" -ne 137 ] || fail "the job hung (killed after 60 s)"
[ "$elapsed" -le 30 ] || fail "the job took $elapsed s to end"
line="eaglerun: rank 1: error: NCCL ncclSend failed on rank 1: unhandled system error"
grep -q "$line" "$out" || fail "no line '$line'"
[ "$(grep -c "error:" "$out")" -eq 1 ] || fail "not exactly one error line"
echo "PASS: exit $rc after $elapsed s"
