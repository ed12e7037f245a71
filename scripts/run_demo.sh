#!/usr/bin/env bash
# The main job: set up, then chat generation with the default model and its trained EAGLE head on
# the first MT-bench questions (answers and tokens/s), then plain vs EAGLE decoding of the same
# questions in one run, with the speedup. Extra arguments go to both eaglerun commands.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
bin="$root/build/release/apps/eaglerun"
questions="$root/data/eval/mt_bench/question.jsonl"
# The tree that measured fastest on MT-bench here (data/heads/smollm2-135m-instruct/SPEED.md).
eagle=(--draft default --tree "${TREE:-chain:2+lookup:16}" --draft-vocab "${DRAFT_VOCAB:-2048}")
"$bin" generate "${eagle[@]}" --prompts "$questions" --limit 3 --max-new-tokens 128 --threads 2 "$@"
echo "== plain vs EAGLE decoding, same questions, one run"
"$bin" bench "${eagle[@]}" --prompts "$questions" --limit 10 --max-new-tokens 128 --threads 2 "$@"
