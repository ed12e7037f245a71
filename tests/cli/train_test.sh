#!/usr/bin/env bash
# eaglerun extract + train end to end on the default model: a short run, an interrupted run that
# resumes from its checkpoint and ends with the same head as an uninterrupted one, the head loads
# as a draft, --init-head continues from a trained head, tap layers are stored and read, and bad
# training options get one clear error.
#   usage: train_test.sh EAGLERUN_BINARY DEFAULT_MODEL CONVERSATIONS_JSONL
set -euo pipefail
bin="$1"
model="$2"
data="$3"
tmp="$(mktemp -d)"
. "$(dirname "$0")/one_error_line.sh"
trap 'rm -rf "$tmp"' EXIT

"$bin" extract --model "$model" --data "$data" --out "$tmp/features" --max-len 96 --quiet
common=(--model "$model" --data "$tmp/features" --validation-data "$tmp/features" --log-every 1 --head-dtype F32
  --set batch_sequences=2 --set warmup_steps=2 --set lr=0.001 --set checkpoint_every=2 --set total_steps=4
  --set validation_sequences=2)

"$bin" train "${common[@]}" --out "$tmp/whole" --steps 4
"$bin" train "${common[@]}" --out "$tmp/resumed" --steps 2
"$bin" train "${common[@]}" --out "$tmp/resumed" --steps 4 2>"$tmp/resume.log"
grep -q "resuming from .*step-00000002" "$tmp/resume.log" || { echo "FAIL: second run did not resume"; exit 1; }

cmp "$tmp/whole/head/model.safetensors" "$tmp/resumed/head/model.safetensors" \
  || { echo "FAIL: resumed head differs from the uninterrupted one"; exit 1; }
[ "$(grep -c '"kind":"step"' "$tmp/whole/train_log.jsonl")" -eq 4 ] || { echo "FAIL: train_log.jsonl"; exit 1; }
grep -q '"kind":"validation"' "$tmp/whole/train_log.jsonl" || { echo "FAIL: no validation logged"; exit 1; }
grep -q '"lr": 0.001' "$tmp/whole/run.json" || { echo "FAIL: run.json lacks the --set override"; exit 1; }

# Two --data folders (here the same one twice) and a draft vocabulary for the token loss.
"$bin" train "${common[@]}" --data "$tmp/features" --out "$tmp/vocab" --steps 2 --set draft_vocab=20 2>"$tmp/vocab.log"
grep -q "train: .* training sequences" "$tmp/vocab.log" || { echo "FAIL: two --data folders"; exit 1; }
python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))) == 20' \
  "$tmp/vocab/checkpoints/step-00000002/draft_tokens.json" || { echo "FAIL: draft_tokens.json"; exit 1; }
[ "$(grep -c '"kind":"step"' "$tmp/vocab/train_log.jsonl")" -eq 2 ] || { echo "FAIL: draft_vocab run"; exit 1; }

# --evaluate: the validation of a head without a step, on every held-out sequence; nothing written.
"$bin" train "${common[@]}" --init-head "$tmp/whole/head" --evaluate 2>/dev/null >"$tmp/evaluate.json"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); assert v["kind"] == "validation" and v["step"] == 0 and \
  v["sequences"] > 2 and len(v["accuracy_target"]) == 5 and \
  len(v["depth0_by_target_confidence"]["positions"]) == 5 and sum(v["depth0_by_target_confidence"]["positions"]) > 0, v' \
  "$tmp/evaluate.json" || { echo "FAIL: --evaluate"; exit 1; }

# --draft-vocab-file: the token loss spans the given list's first draft_vocab ids, and the head keeps the list.
python3 -c 'import json; print(json.dumps(list(range(40, 0, -1))))' >"$tmp/list.json"
"$bin" train "${common[@]}" --out "$tmp/list" --steps 1 --set draft_vocab=20 --draft-vocab-file "$tmp/list.json" 2>/dev/null
python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == list(range(40, 20, -1))' \
  "$tmp/list/checkpoints/step-00000001/draft_tokens.json" || { echo "FAIL: --draft-vocab-file rows"; exit 1; }
cmp "$tmp/list.json" "$tmp/list/head/draft_vocab.json" >/dev/null \
  || python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' \
    "$tmp/list.json" "$tmp/list/head/draft_vocab.json" || { echo "FAIL: --draft-vocab-file not kept"; exit 1; }

# --init-head: zero steps from the head's checkpoint end where it ended; more steps lower the loss.
"$bin" train "${common[@]}" --out "$tmp/again" --init-head "$tmp/whole/checkpoints/step-00000004" --steps 0 \
  2>"$tmp/again.log"
grep -q "starting from the weights of" "$tmp/again.log" || { echo "FAIL: --init-head not used"; exit 1; }
cmp "$tmp/whole/head/model.safetensors" "$tmp/again/head/model.safetensors" \
  || { echo "FAIL: --init-head with 0 steps changed the head"; exit 1; }
"$bin" train "${common[@]}" --out "$tmp/more" --init-head "$tmp/whole/head" --set inputs=token_only 2>"$tmp/bad.log" \
  && { echo "FAIL: --init-head accepted a head with other inputs"; exit 1; }
grep -q "inputs differ" "$tmp/bad.log" || { echo "FAIL: no clear --init-head error: $(cat "$tmp/bad.log")"; exit 1; }

# --widen-mlp / --kv-heads / --layers: the grown head (zero steps) has the new sizes and scores what the given one did.
"$bin" train "${common[@]}" --out "$tmp/grown" --init-head "$tmp/whole/head" --widen-mlp 2048 --kv-heads 9 --layers 2 \
  --steps 0 2>"$tmp/grown.log"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert (c["intermediate_size"], c["num_key_value_heads"], \
  c["num_hidden_layers"]) == (2048, 9, 2), c' "$tmp/grown/head/config.json" || { echo "FAIL: grown sizes"; exit 1; }
"$bin" train "${common[@]}" --init-head "$tmp/grown/head" --evaluate 2>/dev/null >"$tmp/grown.json"
python3 -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); \
  assert a["accuracy_target"] == b["accuracy_target"] and abs(a["loss"] - b["loss"]) < 1e-4, (a, b)' \
  "$tmp/evaluate.json" "$tmp/grown.json" || { echo "FAIL: the grown head scores differently"; exit 1; }

"$bin" generate --model "$model" --draft "$tmp/whole/head" --prompt "Hi" --max-new-tokens 8 --json \
  | grep -q '"tau"' || { echo "FAIL: the trained head does not load as a draft"; exit 1; }
"$bin" generate --model "$model" --draft "$tmp/whole/head" --draft-vocab 20 --prompt "Hi" --max-new-tokens 8 --json \
  | grep -q '"tau"' || { echo "FAIL: --draft-vocab with the head's draft_vocab.json"; exit 1; }

set +e
err="$("$bin" generate --model "$model" --draft "$tmp/whole/head" --draft-vocab 100000 --prompt Hi 2>&1 >/dev/null)"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "draft_vocab.json lists" <<<"$err" || { echo "FAIL: --draft-vocab too large: $rc $err"; exit 1; }

# Tap layers: extract stores the target's layer 2 and 29 taps; a head grown from the trained one reads
# layer 2, trains, is scored, and decodes the same tokens as plain decoding.
"$bin" extract --model "$model" --data "$data" --out "$tmp/taps" --max-len 96 --tap-layers 2,29 --quiet
taps=(--model "$model" --data "$tmp/taps" --validation-data "$tmp/taps" --set batch_sequences=2 --set total_steps=2
  --set validation_sequences=2)
"$bin" train "${taps[@]}" --init-head "$tmp/whole/head" --tap-layers 2 --out "$tmp/tapped" 2>"$tmp/tapped.log"
grep -q "tap layers \[2\]" "$tmp/tapped.log" || { echo "FAIL: --tap-layers did not grow the head"; exit 1; }
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["eaglerun_tap_layers"] == [2]' \
  "$tmp/tapped/head/config.json" || { echo "FAIL: the tapped head's config"; exit 1; }
"$bin" train "${taps[@]}" --init-head "$tmp/tapped/head" --evaluate 2>/dev/null | grep -q '"kind":"validation"' || { echo "FAIL: --evaluate of a tapped head"; exit 1; }
plain_text="$("$bin" generate --model "$model" --prompt "Name three colours." --max-new-tokens 24 2>/dev/null)"
tapped_text="$("$bin" generate --model "$model" --draft "$tmp/tapped/head" --tree chain:3 --prompt "Name three colours." \
  --max-new-tokens 24 2>/dev/null)"
[ -n "$plain_text" ] && [ "$plain_text" = "$tapped_text" ] || { echo "FAIL: the tapped head changed the output"; exit 1; }
for args in "--tap-layers 1,,2" "--tap-layers x" "--tap-layers 30"; do
  one_error_line "eaglerun: error:" "tap-layers" "$bin" extract --model "$model" --data "$data" --out "$tmp/t2" \
    --quiet $args || exit 1
done
one_error_line "eaglerun: error:" "tap layer" "$bin" train "${common[@]}" --out "$tmp/x" --tap-layers 2 || exit 1

# Bad options: one error line, exit status 1.
for args in "--out $tmp/x" "--data $tmp/features --out $tmp/x --set nosuchkey=1" \
  "--data $tmp/features --out $tmp/x --set lr" "--data $tmp/none --out $tmp/x" \
  "--data $tmp/features --out $tmp/x --draft-vocab-file $tmp/none.json" \
  "--data $tmp/features --out $tmp/x --set draft_vocab=50 --draft-vocab-file $tmp/list.json" \
  "--data $tmp/features --evaluate" "--data $tmp/features --out $tmp/x --widen-mlp 2048" \
  "--data $tmp/features --out $tmp/x --init-head $tmp/whole/head --kv-heads 4" \
  "--data $tmp/features --out $tmp/x --init-head $tmp/whole/head --widen-mlp 100" \
  "--data $tmp/features --init-head $tmp/whole/head --evaluate --widen-mlp 2048" \
  "--data $tmp/features --out $tmp/x --init-head $tmp/whole/head --layers -1" \
  "--data $tmp/features --out $tmp/x --layers 2" "--data $tmp/features --init-head $tmp/whole/head --evaluate --layers 2"; do
  one_error_line "eaglerun: error:" "" "$bin" train --model "$model" $args || exit 1
done
echo "train_test: ok"
