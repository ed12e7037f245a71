#!/usr/bin/env bash
# eaglerun convert on the default model: Q8_0, F16 and a safetensors folder are written, each runs
# through `generate`, the folder converted back to GGUF has the F16 file's tensors, and bad
# conversions print one "eaglerun: error:" line, exit 1 and leave no output behind.
#   usage: convert_test.sh EAGLERUN_BINARY DEFAULT_MODEL
set -uo pipefail
bin="$1"
model="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

run_ok() {
  if ! "$bin" "$@" >"$tmp/out" 2>"$tmp/err"; then
    fail "eaglerun $* exited non-zero: $(cat "$tmp/err")"
  else
    echo "ok: eaglerun $*"
  fi
}

for type in Q8_0 F16; do
  run_ok convert --in "$model" --out "$tmp/m-$type.gguf" --type "$type"
  run_ok generate --model "$tmp/m-$type.gguf" --prompt "Hi" --max-new-tokens 8 --threads 2
done
run_ok convert --in "$model" --out "$tmp/hf" --type F16
grep -q "tokenizer stays in the GGUF" "$tmp/err" || fail "no tokenizer note for a GGUF -> safetensors conversion"
run_ok generate --model "$tmp/hf" --tokenizer "$model" --prompt "Hi" --max-new-tokens 8 --threads 2
run_ok convert --in "$tmp/hf" --out "$tmp/back.gguf" --type F16 --tokenizer "$model"

. "$(dirname "$0")/one_error_line.sh"
expect_error() {
  local want="$1"
  shift
  one_error_line "eaglerun: error:" "$want" "$bin" "$@" || failures=$((failures + 1))
}
head -c 100000 "$model" >"$tmp/cut.gguf"
expect_error "cut.gguf" convert --in "$tmp/cut.gguf" --out "$tmp/x.gguf" --type F16
[ ! -e "$tmp/x.gguf" ] && [ ! -e "$tmp/x.gguf.partial" ] || fail "a failed conversion left output behind"
expect_error "needs a GGUF output" convert --in "$model" --out "$tmp/x" --type Q4_1
expect_error "unknown --type" convert --in "$model" --out "$tmp/x.gguf" --type Q5_K
expect_error "does not exist" convert --in "$tmp/nothing" --out "$tmp/x.gguf" --type F16
expect_error "required" convert --in "$model" --type F16

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "convert: all checks passed"
