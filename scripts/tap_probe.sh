#!/usr/bin/env bash
# The tap-layer probe of data/heads/smollm2-135m-instruct/README.md: the default head fine-tuned 400
# steps on the target's answers to ShareGPT parts 0007-0010 without taps, with the taps of layers
# 1, 14, 26, and with them and tap_dropout 0.5 (same data order, noise, schedule and seed); each run
# validated on the target's 80 MT-bench answers every 200 steps. Prints each run's validation lines.
#   scripts/tap_probe.sh [OUT]   (default runs/taps; resumable: extraction and training continue)
#   env: EAGLERUN (the binary), THREADS (per run, default 1; the three runs go side by side)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-runs/taps}"; bin="${EAGLERUN:-build/release/apps/eaglerun}"; threads="${THREADS:-1}"
taps=1,14,26
mkdir -p "$out"
# Training features: the committed regenerated text of parts 0007-0010, with the taps.
cat data/regenerated/smollm2-135m-instruct-greedy/part-00{07,08,09,10}.jsonl >"$out/parts-7-10.jsonl"
"$bin" extract --data "$out/parts-7-10.jsonl" --out "$out/train-7-10" --max-len 512 --shard-sequences 32 \
  --threads 2 --tap-layers "$taps" --quiet
# Validation features: the target's MT-bench answers (scripts/score_head.sh writes them), with the taps.
answers=runs/score-head/mt_bench-128-80
[ -f "$answers/done" ] || LIMIT=80 scripts/score_head.sh default mt_bench 128 >/dev/null
"$bin" extract --data "$answers/answers.jsonl" --out "$out/mt_bench-taps" --max-len 2048 --shard-sequences 32 \
  --threads 2 --tap-layers "$taps" --quiet
run() {
  "$bin" train --config experiments/configs/train-smollm2-135m.json \
    --set lr=0.0002 --set warmup_steps=20 --set total_steps=400 --set validate_every=200 --set validation_sequences=0 \
    --set seed=6 --set draft_vocab=2048 --draft-vocab-file data/heads/smollm2-135m-instruct/draft_vocab.json \
    --init-head data/heads/smollm2-135m-instruct --data "$out/train-7-10" \
    --validation-data "$out/mt_bench-taps" --threads "$threads" "$@"
}
run --out "$out/control" >"$out/control.log" 2>&1 & pids=($!)
run --out "$out/tapped" --tap-layers "$taps" >"$out/tapped.log" 2>&1 & pids+=($!)
run --out "$out/tapped-drop" --tap-layers "$taps" --set tap_dropout=0.5 >"$out/tapped-drop.log" 2>&1 & pids+=($!)
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ $failed -eq 0 ] || { echo "tap_probe: a training run failed; see $out/*.log" >&2; exit 1; }
for r in control tapped tapped-drop; do echo "$r:"; grep "validation at step" "$out/$r.log"; done
