#!/usr/bin/env bash
# Runs every shipped experiment (experiments/configs/*-smollm2.json) into OUT/<config name>/, resumably,
# then the report when analysis/ is there (analysis/report.py). A rerun finishes only what is missing.
#   scripts/reproduce_paper.sh [--quick] [OUT]     (default OUT: runs/paper, or runs/paper-quick)
# --quick: 2 questions per eval set, 32 new tokens, the first turn only, the first two eval sets and
# a shortened noise curve: every kind end to end in a few minutes on 2 cores. The full run takes hours.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
out="${1:-runs/paper$([ $quick -eq 1 ] && echo -quick)}"
[ "${EAGLERUN_SKIP_SETUP:-0}" = 1 ] || ./scripts/setup.sh  # (the test suite runs it on a built tree)
eaglerun="${EAGLERUN:-$root/build/release/apps/eaglerun}"

quick_settings=(--set prompt_limit=2 --set max_new_tokens=32 --set max_turns=1)
for config in experiments/configs/*-smollm2.json; do
  name="$(basename "$config" .json)"
  args=()
  if [ $quick -eq 1 ]; then
    args=("${quick_settings[@]}")
    case "$name" in
      speedup-*) args+=(--set 'eval_sets=["mt_bench","gsm8k"]') ;;
      robustness-*) args+=(--set 'noise_scales=[0,0.5]') ;;
      tree-vs-chain-*) args+=(--set 'trees=["eagle1","chain:5"]') ;;
    esac
  fi
  echo "== $name: $("$eaglerun" experiment list "$config" "${args[@]}" | tail -1)"
  "$eaglerun" experiment run "$config" --out "$out/$name" "${args[@]}"
  /usr/bin/python3 tests/experiments/check_experiment_cells.py "$out/$name"
done

# One report per experiment folder, and an index.
if [ -f analysis/report.py ]; then
  mkdir -p "$out/report"
  { echo "# Reproduced experiments"; echo; } > "$out/report/REPORT.md"
  for folder in "$out"/*-smollm2; do
    name="$(basename "$folder")"
    /usr/bin/python3 analysis/report.py "$folder" --out "$out/report/$name"
    echo "- [$name]($name/REPORT.md)" >> "$out/report/REPORT.md"
  done
  echo "report: $out/report/REPORT.md"
fi
