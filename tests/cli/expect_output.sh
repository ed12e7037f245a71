#!/usr/bin/env bash
# Runs a command and checks its output, failing first of all on a non-zero exit status (ctest's
# PASS_REGULAR_EXPRESSION would ignore it).
#   usage: expect_output.sh [--contains TEXT]... [--json-field NAME]... [--python PYTHON] -- COMMAND ARGS...
#   --contains TEXT   stdout must contain TEXT (a fixed string, not a pattern)
#   --json-field NAME stdout must be JSON lines (one object per line, at least one line), and every
#                     object must have NAME with a non-null value; parsed with Python's json module
#   --python PYTHON   the interpreter for --json-field (default: python3)
set -uo pipefail
contains=()
fields=()
python=python3
while [ $# -gt 0 ]; do
  case "$1" in
    --contains) contains+=("$2"); shift 2 ;;
    --json-field) fields+=("$2"); shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "expect_output.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "expect_output.sh: no command after --" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$@" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
cat "$tmp/stdout"
cat "$tmp/stderr" >&2
if [ "$rc" -ne 0 ]; then
  echo "FAIL: exit status $rc: $*"
  exit 1
fi
failures=0
for text in "${contains[@]+"${contains[@]}"}"; do
  grep -qF -- "$text" "$tmp/stdout" || { echo "FAIL: stdout lacks '$text'"; failures=$((failures + 1)); }
done
if [ ${#fields[@]} -gt 0 ]; then
  "$python" - "$tmp/stdout" "${fields[@]}" <<'PY' || failures=$((failures + 1))
import json
import sys

path, fields = sys.argv[1], sys.argv[2:]
with open(path, encoding="utf-8") as f:
    lines = [line for line in f if line.strip()]
if not lines:
    sys.exit("FAIL: no JSON on stdout")
for n, line in enumerate(lines, 1):
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        sys.exit(f"FAIL: stdout line {n} is not JSON: {e}")
    if not isinstance(obj, dict):
        sys.exit(f"FAIL: stdout line {n} is not a JSON object")
    missing = [name for name in fields if obj.get(name) is None]
    if missing:
        sys.exit(f"FAIL: stdout line {n} lacks {', '.join(missing)}")
print(f"ok: {len(lines)} JSON object(s), each with {', '.join(fields)}")
PY
fi
[ "$failures" -eq 0 ] || exit 1
echo "ok: exit status 0${contains[*]+, stdout contains the expected text}"
