#!/usr/bin/env bash
# scripts/score_head.sh on 3 MT-bench questions with the shipped head: one JSON line with the head's
# top-1 by depth over the target's answers; a second call reuses the answers; bad arguments get one
# error line and exit status 1.
#   usage: score_head_test.sh EAGLERUN_BINARY
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export EAGLERUN="$1" LIMIT=3
tmp="$(mktemp -d)"
. "$root/tests/cli/one_error_line.sh"
trap 'rm -rf "$tmp"' EXIT
check='import json, sys
v = json.loads(sys.stdin.read())
assert v["sequences"] == 3 and len(v["accuracy_target"]) == 5 and v["eval_set"] == "mt_bench", v
assert all(0 <= a <= 1 for a in v["accuracy_target"]), v'
"$root/scripts/score_head.sh" default mt_bench 8 "$tmp" 2>/dev/null | python3 -c "$check" \
  || { echo "FAIL: score_head.sh"; exit 1; }
[ -f "$tmp/mt_bench-8-3/done" ] || { echo "FAIL: answers not kept"; exit 1; }
"$root/scripts/score_head.sh" default mt_bench 8 "$tmp" 2>"$tmp/again.log" | python3 -c "$check" \
  || { echo "FAIL: second score_head.sh"; exit 1; }
grep -q "extract:" "$tmp/again.log" && { echo "FAIL: answers regenerated"; exit 1; }
for args in "default no_such_set" "default mt_bench 0" "$tmp/none" ""; do
  one_error_line "score_head:" "" "$root/scripts/score_head.sh" $args || exit 1
done
echo "score_head_test: ok"
