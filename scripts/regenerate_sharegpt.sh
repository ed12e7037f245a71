#!/usr/bin/env bash
# Has the default model answer ShareGPT's user turns itself (greedy), part by part: part K holds
# conversations [500 K, 500 (K + 1)) of data/sharegpt/prepared/sharegpt.jsonl, written to
# data/regenerated/smollm2-135m-instruct-greedy/part-K.jsonl (data/regenerated/README.md).
#
#   scripts/regenerate_sharegpt.sh FIRST_PART LAST_PART [FEATURES_DIR]
#
# Resumable: a part already in its file (by conversation id) is read back, not answered again, and a
# line cut by a kill is dropped. Meant for the background at low priority, e.g.
#   nohup nice -n 19 scripts/regenerate_sharegpt.sh 19 25 >> runs/regen/log.txt 2>&1 &
# THREADS (default 1) and BATCH (default 16) pass through; the answers depend on neither.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ $# -ge 2 ] || { echo "usage: $0 FIRST_PART LAST_PART [FEATURES_DIR]" >&2; exit 1; }
first=$1 last=$2 features=${3:-runs/regen/features}
bin=${EAGLERUN:-build/release/apps/eaglerun}
data=data/sharegpt/prepared/sharegpt.jsonl
out=data/regenerated/smollm2-135m-instruct-greedy
[ -x "$bin" ] || { echo "regenerate: $bin not built (scripts/setup.sh)" >&2; exit 1; }
[ -f "$data" ] || { echo "regenerate: $data missing (data/sharegpt/fetch.sh && python3 data/sharegpt/prepare.py)" >&2; exit 1; }
for ((k = first; k <= last; ++k)); do
  part=$(printf '%04d' "$k")
  echo "$(date -u +%FT%TZ) part $part: start"
  "$bin" extract --data "$data" --skip $((500 * k)) --limit $((500 * (k + 1))) \
    --out "$features/part-$part" --source regenerated --regen-batch "${BATCH:-16}" --regen-max-new-tokens 512 \
    --max-len 512 --shard-sequences 32 --threads "${THREADS:-1}" --regen-text "$out/part-$part.jsonl"
  echo "$(date -u +%FT%TZ) part $part: done, $(wc -l < "$out/part-$part.jsonl") lines"
done
