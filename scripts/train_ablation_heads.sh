#!/usr/bin/env bash
# Trains the heads of the draft-input ablation (EAGLE paper Fig. 4 / Fig. 8) on the same data with the
# same budget, from random weights:
#   feature_and_shifted_token   (f_j, t_{j+1})  EAGLE's inputs, with the paper's U(-0.1, 0.1) feature noise
#   feature_only                (f_j, 0)
#   token_only                  (0, t_{j+1})
#   feature_and_unshifted_token (f_j, t_j)
#   no_feature_noise            EAGLE's inputs, trained without feature noise
#   scripts/train_ablation_heads.sh [--quick] OUT      (heads land in OUT/heads/<name>/)
# Budget (full): features of the first 640 prepared ShareGPT conversations (max 512 tokens), then 400
# steps of 8 sequences per head (the shipped head's recipe, experiments/configs/train-smollm2-135m.json,
# with its token loss over the 2,048 most frequent answer tokens). --quick: 48 conversations of at most
# 256 tokens, 6 steps, a draft vocabulary of 512 (those answers hold fewer than 2,048 distinct tokens).
# Every step resumes: extraction continues its shards, training its checkpoints; finished heads are kept.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
out="${1:?usage: train_ablation_heads.sh [--quick] OUT}"
eaglerun="${EAGLERUN:-$root/build/release/apps/eaglerun}"
threads="${EAGLERUN_THREADS:-2}"
if [ $quick -eq 1 ]; then conversations=48; steps=6; max_len=256; draft_vocab=512;
else conversations=640; steps=400; max_len=512; draft_vocab=2048; fi

data/sharegpt/fetch.sh
[ -f data/sharegpt/prepared/sharegpt.jsonl ] || python3 data/sharegpt/prepare.py
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9  # one run per folder: a second waits, then finds the finished steps
if [ ! -f "$out/features.done" ]; then
  "$eaglerun" extract --data data/sharegpt/prepared/sharegpt.jsonl --out "$out/features" --max-len "$max_len" \
    --shard-sequences 32 --limit "$conversations" --threads "$threads" --quiet
  touch "$out/features.done"
fi

source scripts/lib/train_head.sh

train_head feature_and_shifted_token --data "$out/features" --set inputs=feature_and_shifted_token
train_head feature_only --data "$out/features" --set inputs=feature_only
train_head token_only --data "$out/features" --set inputs=token_only
train_head feature_and_unshifted_token --data "$out/features" --set inputs=feature_and_unshifted_token
train_head no_feature_noise --data "$out/features" --set inputs=feature_and_shifted_token --set feature_noise=0
echo "ablation heads: $out/heads"
