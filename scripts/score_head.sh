#!/usr/bin/env bash
# Scores a draft head on the target's own answers to an eval set, without decoding with the head: the
# target answers the set's first turns (greedy, `extract --source regenerated`), then `train --evaluate`
# runs the head teacher-forced over those answers: its top-1 against the target's, by depth (depth d: d
# of the head's inputs are its own outputs). Depth 0 is what T = 0 decoding accepts as a chain's first
# draft (bench's 0-alpha, up to the head's Q8_0 copy at decode time). The answers and their features
# are kept per set, length and count, so scoring another head takes only the evaluation (~30 s).
#   scripts/score_head.sh HEAD [SET] [MAX_NEW] [OUT]
#     HEAD     a head folder (config.json, model.safetensors, draft_vocab.json); 'default' = the shipped one
#     SET      mt_bench (default), alpaca, gsm8k or humaneval (data/eval/SET/question.jsonl)
#     MAX_NEW  new tokens per answer (default 128, as the speed benchmarks)
#     OUT      where answers and features are kept (default runs/score-head)
#   env: DRAFT_VOCAB (default 2048; 0 = the whole vocabulary), LIMIT (first questions, default all),
#        EAGLERUN (the binary), THREADS (default 2)
# Prints the validation as one JSON line with the head, set and settings added.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
die() { echo "score_head: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: scripts/score_head.sh HEAD [SET] [MAX_NEW] [OUT]"
head="$1"; set_name="${2:-mt_bench}"; max_new="${3:-128}"; out="${4:-runs/score-head}"
[ "$head" = default ] && head=data/heads/smollm2-135m-instruct
bin="${EAGLERUN:-build/release/apps/eaglerun}"
vocab="${DRAFT_VOCAB:-2048}"; limit="${LIMIT:-0}"; threads="${THREADS:-2}"
questions="data/eval/$set_name/question.jsonl"
[ -f "$questions" ] || die "no eval set '$set_name' ($questions)"
[ -f "$head/config.json" ] || die "'$head' is not a head folder (no config.json)"
[[ "$max_new" =~ ^[1-9][0-9]*$ ]] || die "MAX_NEW must be a positive integer, got '$max_new'"
[[ "$vocab" =~ ^[0-9]+$ && "$limit" =~ ^[0-9]+$ ]] || die "DRAFT_VOCAB and LIMIT must be integers >= 0"

# The target's answers and their features, made once per set, length and count.
answers="$out/$set_name-$max_new-$limit"
if [ ! -f "$answers/done" ]; then
  mkdir -p "$answers"
  python3 - "$questions" "$limit" "$set_name" >"$answers/prompts.jsonl" <<'PY'
import json, sys
path, limit, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for n, line in enumerate(open(path)):
    if limit and n >= limit:
        break
    q = json.loads(line)
    turn = {"role": "user", "content": q["turns"][0]}
    print(json.dumps({"id": f"{name}-{q['question_id']}-{n}", "turns": [turn]}))
PY
  "$bin" extract --data "$answers/prompts.jsonl" --out "$answers/features" --source regenerated \
    --regen-batch 16 --regen-max-new-tokens "$max_new" --max-len 2048 --shard-sequences 32 --threads "$threads" \
    --regen-text "$answers/answers.jsonl" --quiet
  touch "$answers/done"
fi

vocab_args=()
if [ "$vocab" -gt 0 ]; then
  [ -f "$head/draft_vocab.json" ] || die "'$head' has no draft_vocab.json for DRAFT_VOCAB=$vocab (0 drafts over all)"
  vocab_args=(--set "draft_vocab=$vocab" --draft-vocab-file "$head/draft_vocab.json")
fi
"$bin" train --config experiments/configs/train-smollm2-135m.json --set max_seq_len=2048 "${vocab_args[@]}" \
  --init-head "$head" --data "$answers/features" --validation-data "$answers/features" --evaluate \
  --threads "$threads" 2>"$answers/evaluate.log" \
  | python3 -c 'import json, sys
v = json.loads(sys.stdin.read())
v.update(head=sys.argv[1], eval_set=sys.argv[2], max_new_tokens=int(sys.argv[3]), draft_vocab=int(sys.argv[4]))
print(json.dumps(v))' "$head" "$set_name" "$max_new" "$vocab" \
  || die "evaluation failed: $(tail -n 1 "$answers/evaluate.log")"
