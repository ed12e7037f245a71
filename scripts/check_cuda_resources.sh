#!/usr/bin/env bash
# Checks what ptxas reported for every CUDA kernel (reports written at build time by
# scripts/nvcc_resource_report.sh): no register spills, static shared memory within 48 KiB.
# Prints one line per kernel and architecture.
#   usage: check_cuda_resources.sh REPORT_DIR
set -euo pipefail
report_dir="${1:?usage: check_cuda_resources.sh REPORT_DIR}"
shopt -s nullglob
reports=("$report_dir"/*.txt)
if [ ${#reports[@]} -eq 0 ]; then
  echo "check_cuda_resources: no ptxas reports in $report_dir (build eaglerun_cuda_kernels first)" >&2
  exit 1
fi
demangle() { if command -v c++filt >/dev/null; then c++filt; else cat; fi; }
cat "${reports[@]}" | awk -v limit=49152 '
  /Compiling entry function/ {
    match($0, /function \047[^\047]+\047/); kernel = substr($0, RSTART + 10, RLENGTH - 11)
    match($0, /for \047sm_[0-9a-z]+\047/); arch = substr($0, RSTART + 5, RLENGTH - 6)
    stores = loads = stack = smem = regs = "?"
    next
  }
  /bytes stack frame/ {
    if (kernel == "") next
    split($0, f, ","); stack = f[1] + 0
    for (i in f) { if (f[i] ~ /spill stores/) stores = f[i] + 0; if (f[i] ~ /spill loads/) loads = f[i] + 0 }
    next
  }
  /Used [0-9]+ registers/ {
    if (kernel == "") next
    match($0, /Used [0-9]+ registers/); regs = substr($0, RSTART + 5, RLENGTH - 15) + 0
    smem = 0
    if (match($0, /[0-9]+ bytes smem/)) smem = substr($0, RSTART, RLENGTH - 11) + 0
    status = "ok"
    if (stores != 0 || loads != 0) { status = "SPILLS"; bad++ }
    if (smem > limit) { status = "SHARED MEMORY > 48 KiB"; bad++ }
    printf "%-6s regs %3d  spill stores %4d  spill loads %4d  stack %5d  smem %6d  %s  %s\n", arch, regs, stores, loads, stack, smem, status, kernel
    kernels++
    kernel = ""
  }
  END {
    if (kernels == 0) { print "check_cuda_resources: no kernels in the reports" > "/dev/stderr"; exit 1 }
    if (bad > 0) { print "check_cuda_resources: " bad " kernel(s) over budget" > "/dev/stderr"; exit 1 }
    print "check_cuda_resources: " kernels " kernel builds, no spills, static shared memory <= 48 KiB"
  }' | demangle
