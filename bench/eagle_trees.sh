#!/usr/bin/env bash
# EAGLE vs plain decoding on an eval set for several draft trees, each tree measured in one run of
# `eaglerun bench` (plain and EAGLE interleaved prompt by prompt, same prompts, same threads).
# Prints one Markdown row per tree and keeps the JSON of each run.
#   bench/eagle_trees.sh [OUT_DIR] [extra eaglerun bench flags...]
#   env: TREES (default "eagle1 chain:5 dynamic:total=24,depth=5,topk=6 auto"), PROMPTS (default
#        MT-bench), LIMIT (default 80), MAX_NEW (default 128), THREADS (default 2), DRAFT (default "default")
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/runs/eagle-trees}"
shift || true
mkdir -p "$out"
bin="$root/build/release/apps/eaglerun"
trees="${TREES:-eagle1 chain:5 dynamic:total=24,depth=5,topk=6 auto}"
prompts="${PROMPTS:-$root/data/eval/mt_bench/question.jsonl}"

echo "| tree | plain tok/s | EAGLE tok/s | speedup | tau | n-alpha (n = 0..4) | identical outputs |"
echo "|---|---|---|---|---|---|---|"
for tree in $trees; do
  json="$out/$(tr ':=,' '___' <<<"$tree").json"
  "$bin" bench --draft "${DRAFT:-default}" --tree "$tree" --prompts "$prompts" --limit "${LIMIT:-80}" \
    --max-new-tokens "${MAX_NEW:-128}" --threads "${THREADS:-2}" --json "$@" >"$json"
  python3 - "$json" "$tree" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
alpha = ", ".join(f"{a:.2f}" for a in r["accepted_by_depth"][:5])
print(f"| {sys.argv[2]} | {r['plain_tokens_per_second']:.1f} | {r['eagle_tokens_per_second']:.1f} | "
      f"{r['speedup']:.2f}x | {r['tau']:.2f} | {alpha} | {r['identical_outputs']}/{r['prompts']} |")
PY
done
