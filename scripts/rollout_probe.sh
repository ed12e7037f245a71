#!/usr/bin/env bash
# The training-time-test probe of data/heads/smollm2-135m-instruct/README.md: the "+ 600 steps on parts
# 0007-0014" fine-tune of the default head there (600-step schedule, the same seed, data order, noise and
# draft vocabulary) with rollout_depths 3: depths 1 and 2 also trained on the head's own predictions.
# Validated every 200 steps on the target's 80 MT-bench answers; prints the validation lines.
#   scripts/rollout_probe.sh [OUT] [STEPS]   (default runs/rollout, 600; resumable from its checkpoints)
#   env: EAGLERUN (the binary), THREADS (default 2), DEPTHS (default 3), FEATURES (the training features;
#   default: extracted here from the committed text of parts 0007-0013, while that run read the
#   regeneration's store at 3,437 sequences, parts 0007-0013 and 320 sequences of 0014)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-runs/rollout}"; steps="${2:-600}"
bin="${EAGLERUN:-build/release/apps/eaglerun}"; threads="${THREADS:-2}"; depths="${DEPTHS:-3}"
mkdir -p "$out"
features="${FEATURES:-$out/features}"
if [ -z "${FEATURES:-}" ] && [ ! -f "$out/features.done" ]; then
  cat data/regenerated/smollm2-135m-instruct-greedy/part-00{07,08,09,10,11,12,13}.jsonl >"$out/parts-7-13.jsonl"
  "$bin" extract --data "$out/parts-7-13.jsonl" --out "$out/features" --max-len 512 --shard-sequences 32 \
    --threads "$threads" --quiet
  touch "$out/features.done"
fi
# Validation features: the target's MT-bench answers (scripts/score_head.sh writes them).
answers=runs/score-head/mt_bench-128-80
[ -f "$answers/done" ] || LIMIT=80 scripts/score_head.sh default mt_bench 128 >/dev/null
"$bin" train --config experiments/configs/train-smollm2-135m.json \
  --set lr=0.0002 --set warmup_steps=20 --set total_steps=600 --set validate_every=200 --set validation_sequences=0 \
  --set seed=6 --set draft_vocab=2048 --set checkpoint_every=50 --set rollout_depths="$depths" \
  --draft-vocab-file data/heads/smollm2-135m-instruct/draft_vocab.json \
  --init-head data/heads/smollm2-135m-instruct --data "$features" \
  --validation-data "$answers/features" --out "$out/train" --steps "$steps" --threads "$threads" --log-every 50 \
  2>&1 | tee -a "$out/train.log"
grep "validation at step" "$out/train.log"
