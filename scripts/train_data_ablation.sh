#!/usr/bin/env bash
# The training-data ablation (EAGLE paper Table 6): two heads from random weights with the same recipe
# and budget, on the same conversations, differing only in who wrote the answers:
#   fixed_sharegpt     the answers in the ShareGPT file
#   target_generated   the target's own greedy answers to the same user turns (extract --source regenerated)
# Both are validated on the same held-out conversations with regenerated answers (the text a draft
# meets when decoding), so validation top-1 by depth compares like with like.
#   scripts/train_data_ablation.sh [--quick] OUT [SHAREGPT_FEATURES]    (heads land in OUT/heads/<name>/)
# SHAREGPT_FEATURES: the same conversations' ShareGPT features when already extracted with these settings
# (scripts/train_ablation_heads.sh's OUT/features), used instead of extracting them again.
# Budget (full): conversations 0-639 of the prepared ShareGPT file (max 512 tokens per sequence,
# regenerated answers at most 384 tokens), 400 steps of 8 sequences per head; held out: conversations
# 640-767. --quick: 48 conversations (8 held out), answers of 32 tokens, 12 steps.
# Every step resumes: extractions continue their shards, training its checkpoints; finished heads are kept.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
out="${1:?usage: train_data_ablation.sh [--quick] OUT [SHAREGPT_FEATURES]}"
sharegpt_features="${2:-$out/features-sharegpt}"
eaglerun="${EAGLERUN:-$root/build/release/apps/eaglerun}"
threads="${EAGLERUN_THREADS:-2}"
if [ $quick -eq 1 ]; then conversations=48; heldout=8; answer_tokens=32; steps=12;
else conversations=640; heldout=128; answer_tokens=384; steps=400; fi

data/sharegpt/fetch.sh
[ -f data/sharegpt/prepared/sharegpt.jsonl ] || python3 data/sharegpt/prepare.py
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9  # one run per folder: a second waits, then finds the finished steps

extract() {  # folder, then extract arguments; a finished folder is marked FOLDER.done
  local folder="$out/$1"; shift
  [ -f "$folder.done" ] && return
  "$eaglerun" extract --data data/sharegpt/prepared/sharegpt.jsonl --out "$folder" --max-len 512 \
    --shard-sequences 32 --threads "$threads" --quiet "$@"
  touch "$folder.done"
}
regenerated=(--source regenerated --regen-max-new-tokens "$answer_tokens" --regen-batch 8)
[ -n "${2:-}" ] || extract features-sharegpt --limit "$conversations"
extract features-regenerated --limit "$conversations" "${regenerated[@]}"
extract features-heldout --skip "$conversations" --limit $((conversations + heldout)) "${regenerated[@]}"

source scripts/lib/train_head.sh
validation=(--validation-data "$out/features-heldout")
# --quick: the short regenerated answers use fewer than 2,048 distinct tokens; draft over 512.
if [ $quick -eq 1 ]; then validation+=(--set draft_vocab=512);
else validation+=(--set validate_every=200 --set validation_sequences=64); fi
train_head fixed_sharegpt --data "$sharegpt_features" "${validation[@]}"
train_head target_generated --data "$out/features-regenerated" "${validation[@]}"
echo "data-ablation heads: $out/heads"
