#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset "fuzz": clang, ASan + UBSan) and runs each one for
# SECONDS (default 30) on a scratch copy of its seed corpus in fuzz/corpus/<target>/, so the
# repository's corpus is never modified. Exits non-zero if any target crashes or reports a bug;
# the crashing input is kept under build/fuzz/crashes/<target>/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]      (targets: fuzz_gguf fuzz_safetensors fuzz_hf_config fuzz_pytorch)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_gguf fuzz_safetensors fuzz_hf_config fuzz_pytorch)
build="$root/build/fuzz"
jobs="${FUZZ_BUILD_JOBS:-2}"

cmake --preset fuzz -S "$root" >/dev/null
ninja -C "$build" -j "$jobs" "${targets[@]}"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in "${targets[@]}"; do
  corpus="$scratch/$t"
  crashes="$build/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  cp "$root/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  echo "== $t: ${seconds}s, seeds: $(ls "$corpus" | wc -l)"
  if "$build/fuzz/$t" -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=2048 -timeout=10 \
       -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" >"$scratch/$t.log" 2>&1; then
    grep -E "^stat::number_of_executed_runs|^#[0-9]+.*DONE" "$scratch/$t.log" | tail -2 || true
  else
    failed+=("$t")
    tail -n 60 "$scratch/$t.log"
    echo "== $t FAILED (artifacts in $crashes)"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all targets ran ${seconds}s without findings"
