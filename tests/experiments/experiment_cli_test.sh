#!/usr/bin/env bash
# eaglerun experiment end to end on the default model and head: list, run, resume after SIGTERM and
# SIGKILL at several moments (the same records as an uninterrupted run, no cell twice, no .partial
# left as finished), a folder of another config refused, bad configs refused with one error line;
# every cell read back with h5py and its invariants checked (check_experiment_cells.py), and the
# checker shown to catch a corrupted cell.
# usage: experiment_cli_test.sh EAGLERUN SOURCE_DIR
set -euo pipefail
eaglerun="$1" src="$2"
python=/usr/bin/python3  # Debian's, with python3-h5py (scripts/setup.sh)
work="$(mktemp -d)"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { "$python" "$src/tests/experiments/check_experiment_cells.py" "$@"; }

cat > "$work/config.json" <<'JSON'
// two trees (one with copies from the context) x greedy and sampling on the first four MT-bench
// questions, both turns: about 5 s in all, long enough for the interruptions below to land mid-run
{"kind": "speedup", "draft": "default", "draft_vocab": 2048, "trees": ["chain:2+lookup:8", "eagle1"],
 "eval_sets": ["mt_bench"], "temperatures": [0.0, 1.0], "seeds": [7], "max_new_tokens": 16, "prompt_limit": 4}
JSON

echo "== list"
"$eaglerun" experiment list "$work/config.json" | tee "$work/list.txt"
grep -q "4 cells" "$work/list.txt" || fail "expected 4 cells"

echo "== an uninterrupted run, cell 1 first (--cells), then the rest"
"$eaglerun" experiment run "$work/config.json" --out "$work/full" --cells 1 > "$work/first.jsonl"
[ "$(wc -l < "$work/first.jsonl")" -eq 1 ] || fail "--cells 1 ran $(wc -l < "$work/first.jsonl") cells"
"$eaglerun" experiment run "$work/config.json" --out "$work/full" > "$work/rest.jsonl"
[ "$(wc -l < "$work/rest.jsonl")" -eq 3 ] || fail "the rerun ran $(wc -l < "$work/rest.jsonl") cells, expected 3"
"$eaglerun" experiment run "$work/config.json" --out "$work/full" --dry-run | grep -c "done" | grep -qx 4 || fail "dry run"
check "$work/full" --expect-cells 4

echo "== interrupted runs resume to the same records"
interrupt() {  # interrupt SIGNAL SECONDS: a run into $work/resumed stopped by SIGNAL after SECONDS
  # (a non-interactive shell starts background jobs with SIGINT ignored: restore its default)
  env --default-signal=INT "$eaglerun" experiment run "$work/config.json" --out "$work/resumed" > /dev/null 2>&1 &
  local pid=$!
  sleep "$2"
  kill "-$1" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "SIG$1 after $2 s: $(ls "$work/resumed"/cell-*.h5 2>/dev/null | wc -l) cells finished"
}
interrupt TERM 3
[ "$(ls "$work/resumed"/cell-*.h5 2>/dev/null | wc -l)" -lt 4 ] || fail "the first run was not interrupted"
interrupt INT 3
interrupt KILL 4
interrupt KILL 5
"$eaglerun" experiment run "$work/config.json" --out "$work/resumed" > /dev/null
check "$work/resumed" --expect-cells 4
"$python" - "$work/full" "$work/resumed" <<'PY'
import pathlib, sys
import h5py, numpy as np
a, b = (pathlib.Path(p) for p in sys.argv[1:])
names = sorted(p.name for p in a.glob("cell-*.h5"))
assert names == sorted(p.name for p in b.glob("cell-*.h5")), "different cells"
for n in names:
    with h5py.File(a / n) as x, h5py.File(b / n) as y:
        for d in ("requests/prompt_tokens", "requests/plain_tokens", "requests/eagle_tokens", "steps/accepted",
                  "nodes/token", "nodes/accepted", "nodes/copied"):
            assert np.array_equal(x[d][...], y[d][...]), f"{n}: {d} differs after resuming"
print(f"{len(names)} cells: the same records after interruptions")
PY

echo "== another config in the same folder, bad configs: one error line, non-zero exit"
expect_error() {  # expect_error PATTERN ARGS...
  local pattern="$1"; shift
  if "$eaglerun" "$@" > "$work/out" 2> "$work/err"; then fail "exit 0 for $*"; fi
  [ "$(grep -c "error" "$work/err")" -eq 1 ] || { cat "$work/err"; fail "not one error line for $*"; }
  grep -q -- "$pattern" "$work/err" || { cat "$work/err"; fail "no '$pattern' for $*"; }
}
sed 's/"max_new_tokens": 16/"max_new_tokens": 17/' "$work/config.json" > "$work/other.json"
expect_error "holds the cells of another experiment config" experiment run "$work/other.json" --out "$work/full"
echo '{"kind": "speedup", "trees": ["eagle1"], "eval_sets": ["mt_bench"], "temprature": [0]}' > "$work/bad.json"
expect_error "unknown setting 'temprature'" experiment list "$work/bad.json"
echo '{"kind": "nalpha", "trees": ["eagle1"], "eval_sets": ["mt_bench"]}' > "$work/bad.json"
expect_error "unknown kind 'nalpha'" experiment list "$work/bad.json"
echo '{"kind": "speedup", "trees": ["eagle1"], "eval_sets": ["no_such_set"], "max_new_tokens": 4}' > "$work/bad.json"
expect_error "eval set 'no_such_set'" experiment run "$work/bad.json" --out "$work/bad"
expect_error "outside the config's cells" experiment run "$work/config.json" --out "$work/full" --cells 2-9

echo "== feature_error: the head's error by depth feeding on its own features"
echo '{"kind": "feature_error", "draft": "default", "trees": ["chain:3"], "eval_sets": ["gsm8k"], "max_new_tokens": 32,
 "prompt_limit": 2}' > "$work/feature_error.json"
"$eaglerun" experiment run "$work/feature_error.json" --out "$work/feature_error" > /dev/null
check "$work/feature_error" --expect-cells 1
sed 's/chain:3/eagle1/' "$work/feature_error.json" > "$work/bad_fe.json"
expect_error "must be a chain" experiment run "$work/bad_fe.json" --out "$work/bad_fe"

echo "== the checker catches a corrupted cell"
mkdir "$work/corrupt"
cp "$work/full"/cell-0000-*.h5 "$work/corrupt/"
"$python" -c "
import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f:
    a = f['steps/accepted']; a[0] = a[0] + 1
" "$work"/corrupt/cell-0000-*.h5
if check "$work/corrupt" > "$work/check.out"; then cat "$work/check.out"; fail "the checker passed a corrupted cell"; fi
grep -q "accepted lengths vs accepted nodes" "$work/check.out" || { cat "$work/check.out"; fail "wrong finding"; }
echo "PASS"
