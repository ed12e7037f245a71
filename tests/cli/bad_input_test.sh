#!/usr/bin/env bash
# Bad input to the CLI: each case must print exactly one "eaglerun: error: ..." line on stderr
# containing the expected words, and exit with status 1 (never a crash, a hang or silent output).
#   usage: bad_input_test.sh EAGLERUN_BINARY DEFAULT_MODEL
set -uo pipefail
bin="$1"
model="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0

# expect_error EXPECTED_SUBSTRING ARGS...
expect_error() {
  local want="$1"
  shift
  local err rc
  err="$(timeout 60 "$bin" "$@" 2>&1 >/dev/null)"
  rc=$?
  local lines
  lines="$(printf '%s\n' "$err" | grep -c 'eaglerun: error:')"
  if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" <<<"$err"; then
    echo "FAIL: eaglerun $* -> exit $rc, stderr: $err (wanted one error line containing '$want')"
    failures=$((failures + 1))
  else
    echo "ok: eaglerun $* -> $(head -c 160 <<<"$err")"
  fi
}

head -c 1000 "$model" >"$tmp/truncated_header.gguf"
head -c $(($(stat -c %s "$model") / 2)) "$model" >"$tmp/truncated_half.gguf"
cp "$model" "$tmp/flipped.gguf"
printf '\xff\xff\xff\xff' | dd of="$tmp/flipped.gguf" bs=1 seek=16 conv=notrunc status=none  # tensor count
printf 'not a model' >"$tmp/garbage.bin"
mkdir -p "$tmp/hf_no_config"
printf '{"question_id": 1, "turns": []}\n' >"$tmp/bad_prompts.jsonl"
printf 'not json\n' >"$tmp/bad_json.jsonl"

expect_error "unrecognised option" generate --bogus-flag
expect_error "--threads" generate --model "$model" --prompt hi --threads 0
expect_error "--top-p" generate --model "$model" --prompt hi --temperature 1 --top-p 1.5
expect_error "exactly one of --prompt and --prompts" generate --model "$model"
expect_error "does not exist" generate --model "$tmp/missing.gguf" --prompt hi
expect_error "truncated_header.gguf" generate --model "$tmp/truncated_header.gguf" --prompt hi
expect_error "truncated_half.gguf" generate --model "$tmp/truncated_half.gguf" --prompt hi
expect_error "flipped.gguf" generate --model "$tmp/flipped.gguf" --prompt hi
expect_error "garbage.bin" generate --model "$tmp/garbage.bin" --prompt hi
expect_error "config.json" generate --model "$tmp/hf_no_config" --prompt hi
expect_error "turns" generate --model "$model" --prompts "$tmp/bad_prompts.jsonl"
expect_error "invalid JSON" generate --model "$model" --prompts "$tmp/bad_json.jsonl"
expect_error "cannot open prompts file" generate --model "$model" --prompts "$tmp/none.jsonl"
expect_error "exceeds the model's context" generate --model "$model" --prompt hi --max-new-tokens 9000
expect_error "--precision" bench --model "$model" --precision fp8
expect_error "but the job has 1" generate --model "$model" --prompt hi --tp 2
expect_error "must be positive" bench --model "$model" --pp 0
expect_error "--batch" bench --model "$model" --batch 0
expect_error "positive batch sizes" bench --model "$model" --batch 4,x
expect_error "no tokenizer found" generate --model "$model" --prompt hi --tokenizer "$tmp"

# a bad command is a usage error (exit 2), not a crash
"$bin" frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: unknown command should exit 2"; failures=$((failures + 1)); }

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
