#!/usr/bin/env bash
# The training-data ablation (EAGLE paper Table 6): two heads from random weights with the same recipe
# and budget, on the same conversations, differing only in who wrote the answers:
#   fixed_sharegpt     the answers in the ShareGPT file
#   target_generated   the target's own greedy answers to the same user turns (extract --source regenerated)
# Both are validated on the same held-out conversations with regenerated answers (the text a draft
# meets when decoding), so validation top-1 by depth compares like with like.
#   scripts/train_data_ablation.sh [--quick | --large] OUT [SHAREGPT_FEATURES]    (heads land in OUT/heads/<name>/)
# SHAREGPT_FEATURES: the same conversations' ShareGPT features when already extracted with these settings
# (scripts/train_ablation_heads.sh's OUT/features), used instead of extracting them again.
# Budget (full): conversations 0-639 of the prepared ShareGPT file (max 512 tokens per sequence,
# regenerated answers at most 384 tokens), 400 steps of 8 sequences per head; held out: conversations
# 640-767. --quick: 48 conversations of at most 256 tokens (4 held out), answers of 16 tokens, 6 steps.
# --large: conversations 0-2,999 with the committed regenerated answers (data/regenerated/, greedy, at
# most 512 new tokens; extracted from that text, not written by the target again), 1,000 steps per head;
# held out: the first 128 conversations of the committed part 0006 (ShareGPT conversations 3,000-3,499).
# REGENERATED_FEATURES=DIR: the large run's regenerated features when already extracted (from the same
# text: `extract --regen-text` stores them bit for bit as extracting the text does).
# Every step resumes: extractions continue their shards, training its checkpoints; finished heads are kept.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quick=0; large=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; elif [ "${1:-}" = "--large" ]; then large=1; shift; fi
out="${1:?usage: train_data_ablation.sh [--quick | --large] OUT [SHAREGPT_FEATURES]}"
sharegpt_features="${2:-$out/features-sharegpt}"
eaglerun="${EAGLERUN:-$root/build/release/apps/eaglerun}"
threads="${EAGLERUN_THREADS:-2}"
max_len=512
if [ $quick -eq 1 ]; then conversations=48; heldout=4; answer_tokens=16; steps=6; max_len=256;
elif [ $large -eq 1 ]; then conversations=3000; heldout=128; answer_tokens=512; steps=1000;
else conversations=640; heldout=128; answer_tokens=384; steps=400; fi

data/sharegpt/fetch.sh
[ -f data/sharegpt/prepared/sharegpt.jsonl ] || python3 data/sharegpt/prepare.py
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9  # one run per folder: a second waits, then finds the finished steps

extract() {  # folder, [--data FILE], then extract arguments; a finished folder is marked FOLDER.done
  local folder="$out/$1" data=data/sharegpt/prepared/sharegpt.jsonl; shift
  if [ "${1:-}" = "--data" ]; then data="$2"; shift 2; fi
  [ -f "$folder.done" ] && return
  "$eaglerun" extract --data "$data" --out "$folder" --max-len "$max_len" \
    --shard-sequences 32 --threads "$threads" --quiet "$@"
  touch "$folder.done"
}
regenerated=(--source regenerated --regen-max-new-tokens "$answer_tokens" --regen-batch 8)
[ -n "${2:-}" ] || extract features-sharegpt --limit "$conversations"
regenerated_features="$out/features-regenerated"
if [ $large -eq 1 ]; then
  text=data/regenerated/smollm2-135m-instruct-greedy
  for part in 0000 0001 0002 0003 0004 0005 0006; do
    [ -f "$text/part-$part.jsonl" ] || { echo "train_data_ablation: $text/part-$part.jsonl is missing" >&2; exit 1; }
  done
  cat "$text"/part-000[0-5].jsonl > "$out/regenerated-0-2999.jsonl"
  if [ -n "${REGENERATED_FEATURES:-}" ]; then regenerated_features="$REGENERATED_FEATURES";
  else extract features-regenerated --data "$out/regenerated-0-2999.jsonl"; fi
  extract features-heldout --data "$text/part-0006.jsonl" --limit "$heldout"
else
  extract features-regenerated --limit "$conversations" "${regenerated[@]}"
  extract features-heldout --skip "$conversations" --limit $((conversations + heldout)) "${regenerated[@]}"
fi

source scripts/lib/train_head.sh
validation=(--validation-data "$out/features-heldout")
# --quick: the short regenerated answers (256-token sequences) hold about 450 distinct tokens; draft over 256.
if [ $quick -eq 1 ]; then validation+=(--set draft_vocab=256);
elif [ $large -eq 1 ]; then validation+=(--set validate_every=500 --set validation_sequences=128);
else validation+=(--set validate_every=200 --set validation_sequences=64); fi
train_head fixed_sharegpt --data "$sharegpt_features" "${validation[@]}"
train_head target_generated --data "$regenerated_features" "${validation[@]}"
echo "data-ablation heads: $out/heads"
