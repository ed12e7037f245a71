#!/usr/bin/env bash
# The default head's fifth and sixth schedules (data/heads/smollm2-135m-instruct/README.md): INIT_HEAD
# (default the shipped head: the fourth schedule's when the fifth ran, the fifth's when the sixth ran, with
# PARTS 0019-0023 and 0027-0034) trained further on the target's own greedy answers
# (data/regenerated/; part 0006 is held out), each sequence's first MAX_SEQ_LEN tokens, with
# EAGLE-3's training-time test (rollout_depths 3: depths 1 and 2 also trained on the head's own
# predictions), validated on the target's answers to the 80 MT-bench questions (scripts/score_head.sh).
#   scripts/train_regenerated_head.sh [OUT] [STEPS]   (default runs/head-regen5, 1200; resumable)
#   env: EAGLERUN (the binary), THREADS (default 2), MAX_SEQ_LEN (default 256), PARTS (the part numbers,
#        default those the fifth schedule saw: 0000-0005 and 0007-0014), INIT_HEAD
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-runs/head-regen5}"; steps="${2:-1200}"
bin="${EAGLERUN:-build/release/apps/eaglerun}"; threads="${THREADS:-2}"; max_seq_len="${MAX_SEQ_LEN:-256}"
text=data/regenerated/smollm2-135m-instruct-greedy
mkdir -p "$out"
PARTS="${PARTS:-0000 0001 0002 0003 0004 0005 0007 0008 0009 0010 0011 0012 0013 0014}"
# Features of each part in its own folder; `parts.txt` records the line counts read.
data_flags=()
: >"$out/parts.txt"
for part in $PARTS; do
  file="$text/part-$part.jsonl"
  [ -s "$file" ] || continue
  echo "$part $(wc -l <"$file")" >>"$out/parts.txt"
  if [ ! -f "$out/features/part-$part/done" ]; then
    "$bin" extract --data "$file" --out "$out/features/part-$part" --max-len 512 --shard-sequences 32 \
      --threads "$threads" --quiet
    touch "$out/features/part-$part/done"
  fi
  data_flags+=(--data "$out/features/part-$part")
done
answers=runs/score-head/mt_bench-128-80
[ -f "$answers/done" ] || LIMIT=80 scripts/score_head.sh default mt_bench 128 >/dev/null
"$bin" train --config experiments/configs/train-smollm2-135m.json \
  --set lr=0.0002 --set warmup_steps=20 --set total_steps="$steps" --set validate_every=250 \
  --set validation_sequences=0 --set seed=7 --set draft_vocab=2048 --set checkpoint_every=50 \
  --set rollout_depths=3 --set max_seq_len="$max_seq_len" \
  --draft-vocab-file data/heads/smollm2-135m-instruct/draft_vocab.json \
  --init-head "${INIT_HEAD:-data/heads/smollm2-135m-instruct}" "${data_flags[@]}" \
  --validation-data "$answers/features" --out "$out/train" --threads "$threads" --log-every 50 \
  2>&1 | tee -a "$out/train.log"
grep "validation at step" "$out/train.log"
