#!/usr/bin/env bash
# The trained default head (--draft default, its 2,048-token draft vocabulary) against plain greedy
# decoding through the command line: 16 prompts (4 from each eval set) x 32 new tokens, for every
# tree kind; every run must exit 0 and every prompt's output tokens must equal plain decoding's.
# usage: default_head_test.sh EAGLERUN SOURCE_DIR MODEL
set -euo pipefail
eaglerun="$1" src="$2" model="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$src" > "$work/prompts.jsonl" <<'PY'
import json, sys
for name in ("mt_bench", "humaneval", "gsm8k", "alpaca"):
    with open(f"{sys.argv[1]}/data/eval/{name}/question.jsonl") as f:
        for i, line in zip(range(4), f):
            q = json.loads(line)
            print(json.dumps({"question_id": f"{name}-{q['question_id']}", "turns": q["turns"][:1]}))
PY

run() {  # run NAME ARGS...: one generate run, its JSON lines in $work/NAME.jsonl; fails on a non-zero exit
  local name="$1"
  shift
  if ! "$eaglerun" generate --model "$model" --prompts "$work/prompts.jsonl" --max-new-tokens 32 --threads 2 \
      --json "$@" > "$work/$name.jsonl" 2> "$work/$name.err"; then
    echo "FAIL: generate $* exited non-zero:"; cat "$work/$name.err"; exit 1
  fi
}

run plain
# Every tree kind; the default dynamic tree (60 nodes, the slowest here) is the oracle test's
# (SmolLM2Lossless), a smaller dynamic tree runs the trained head through the same code.
trees=(eagle1 chain:1 chain:3 "dynamic:total=24,depth=5,topk=6" auto chain:2+lookup:16 auto+lookup:8)
for i in "${!trees[@]}"; do
  run "tree$i" --draft default --draft-vocab 2048 --tree "${trees[$i]}"
done

python3 - "$work" "${trees[@]}" <<'PY'
import json, sys
work, trees = sys.argv[1], sys.argv[2:]
def load(name):
    with open(f"{work}/{name}.jsonl") as f:
        return {r["id"]: r for r in map(json.loads, f)}
plain = load("plain")
assert len(plain) == 16, f"plain decoding answered {len(plain)} of 16 prompts"
failed = False
for i, tree in enumerate(trees):
    eagle = load(f"tree{i}")
    differ = [k for k in plain if eagle.get(k, {}).get("output_tokens") != plain[k]["output_tokens"]]
    taus = [r["tau"] for r in eagle.values()]
    tau = sum(taus) / len(taus) if taus else 0.0
    print(f"{tree}: {len(plain) - len(differ)}/{len(plain)} prompts token-identical to plain, mean tau {tau:.2f}")
    if differ or len(eagle) != len(plain):
        print(f"FAIL: {tree}: outputs differ from plain decoding on {differ}")
        failed = True
sys.exit(1 if failed else 0)
PY
