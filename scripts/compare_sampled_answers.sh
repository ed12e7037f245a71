#!/usr/bin/env bash
# Do sampled answers make a better head for sampled decoding? Two 300-step fine-tunes of the default
# head on the same 500 conversations (ShareGPT 0-499) answered by the target, greedy vs T = 0.7 (the
# committed data/regenerated/ text), then MT-bench chain:3 at T = 1 and T = 0 for the default head and
# both fine-tunes (bench/eagle_trees.sh). Results: data/heads/smollm2-135m-instruct/README.md. Extraction and
# training resume; the benchmarks rerun.
#   scripts/compare_sampled_answers.sh [OUT]     (default OUT: runs/sampled-answers)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-runs/sampled-answers}"
bin="${EAGLERUN:-build/release/apps/eaglerun}"
text=data/regenerated
mkdir -p "$out"
extract() {  # folder, text file, [extract arguments]
  local folder="$out/$1" file="$2"; shift 2
  [ -f "$folder.done" ] && return
  "$bin" extract --data "$file" --out "$folder" --max-len 512 --shard-sequences 32 --threads 2 --quiet "$@"
  touch "$folder.done"
}
extract features-greedy "$text/smollm2-135m-instruct-greedy/part-0000.jsonl"
extract features-t07 "$text/smollm2-135m-instruct-t0.7/part-0000.jsonl"
extract features-heldout "$text/smollm2-135m-instruct-greedy/part-0006.jsonl" --limit 128
for name in greedy t07; do
  [ -f "$out/train-$name/head/model.safetensors" ] || \
  "$bin" train --config experiments/configs/train-smollm2-135m.json --set lr=0.0001 --set warmup_steps=10 \
    --set total_steps=300 --set validate_every=300 --set validation_sequences=128 --set seed=5 --set draft_vocab=2048 \
    --init-head data/heads/smollm2-135m-instruct --data "$out/features-$name" \
    --validation-data "$out/features-heldout" --out "$out/train-$name" --threads 2 --log-every 50
done
# One bench/eagle_trees.sh row per head and temperature (its JSON kept in OUT/bench-T<T>-<head>/).
for T in 1 0; do
  for head in default greedy t07; do
    d=data/heads/smollm2-135m-instruct; [ $head != default ] && d="$out/train-$head/head"
    echo "T=$T, head $head:"
    DRAFT="$d" TREES=chain:3 LIMIT=40 MAX_NEW=128 bench/eagle_trees.sh "$out/bench-T$T-$head" \
      --draft-vocab 2048 --temperature "$T" --seed 0 | tail -n 1
  done
done
