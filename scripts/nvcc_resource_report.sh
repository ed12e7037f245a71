#!/usr/bin/env bash
# Compiler launcher of eaglerun_cuda_kernels (core/backend/cuda/CMakeLists.txt):
#   nvcc_resource_report.sh REPORT_DIR NVCC ARGS...
# Runs the nvcc command (which asks for --resource-usage) and keeps ptxas's report on each kernel
# (registers, spills, stack, shared memory) in REPORT_DIR/<object file name>.txt, for
# scripts/check_cuda_resources.sh; everything else nvcc prints passes through to stderr.
set -uo pipefail
report_dir="$1"
shift
object=""
previous=""
for arg in "$@"; do
  [ "$previous" = "-o" ] && object="$arg"
  previous="$arg"
done
output="$("$@" 2>&1)"
status=$?
if [ -n "$object" ]; then
  mkdir -p "$report_dir"
  grep -E '^ptxas info|bytes stack frame' <<<"$output" >"$report_dir/$(basename "$object").txt" || true
fi
rest="$(grep -vE '^ptxas info|bytes stack frame' <<<"$output" || true)"
[ -n "$rest" ] && printf '%s\n' "$rest" >&2
exit "$status"
