#!/usr/bin/env bash
# The main job: set up, then chat generation with the default model on the first MT-bench
# questions, printing the answers and tokens/s. Extra arguments go to `eaglerun generate`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
exec "$root/build/release/apps/eaglerun" generate --model "$root/models/SmolLM2-135M-Instruct.Q4_1.gguf" \
  --prompts "$root/data/eval/mt_bench/question.jsonl" --limit 3 --max-new-tokens 128 --threads 2 "$@"
