#!/usr/bin/env bash
# eaglerun simulate end to end: a point, JSON, a sweep into HDF5, the tree search's JSON loaded back
# with --tree, this machine's profile remade from its measurement, the validation and calibration tables;
# bad input: one error line and exit 1.
#   simulate_cli_test.sh EAGLERUN SOURCE_DIR
set -euo pipefail
eaglerun="$1"
src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$src"
m=data/model-configs
h=data/hardware
fail() { echo "simulate_cli_test: $*" >&2; exit 1; }

# expect_error DESCRIPTION EXPECTED_TEXT ARGS...: exit 1, one line on stderr, containing the text.
expect_error() {
  local what="$1" text="$2"
  shift 2
  local rc=0
  "$eaglerun" simulate "$@" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" -eq 1 ] || fail "$what: exit $rc, expected 1"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$what: expected one error line, got: $(cat "$work/err")"
  grep -qF -- "$text" "$work/err" || fail "$what: '$text' not in: $(cat "$work/err")"
}

# one point, as a table and as JSON
"$eaglerun" simulate --model $m/vicuna-7b-v1.3.json --hardware $h/rtx-3090.json --tree eagle1 --tau 3.94 >"$work/table"
grep -q "speedup" "$work/table" || fail "no speedup in the table"
"$eaglerun" simulate --model $m/mixtral-8x7b-instruct-v0.1.json --hardware $h/a100-sxm4-80gb.json --ep 2 --tp 2 \
  --n-alpha 0.67,0.62,0.61,0.64,0.63 --json >"$work/point.json"
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert j['gpus']==4 and j['speedup']>1 and j['eagle_step']['verify']['moe_s']>0" "$work/point.json" \
  || fail "bad JSON point"

# a sweep into HDF5
"$eaglerun" simulate --model $m/llama2-70b-chat.json --hardware $h/a100-sxm4-80gb.json --tp 1,2,4,8 --batch 1,4 --tau 3.81 \
  --out "$work/sweep.h5" >"$work/sweep.txt"
[ "$(wc -l <"$work/sweep.txt")" -eq 8 ] || fail "expected 8 sweep lines"
grep -q "error: .*does not fit" "$work/sweep.txt" || fail "tp 1 should not fit 70B on one 80 GB GPU"
[ -f "$work/sweep.h5" ] || fail "no sweep file"

# the tree search writes a tree that --tree loads
"$eaglerun" simulate --model $m/llama2-7b-chat.json --hardware $h/h100-sxm5-80gb.json --n-alpha 0.79,0.74,0.72,0.73,0.67 \
  --search-tree --max-nodes 30 --tree-out "$work/tree.json" >"$work/search.txt"
grep -q "^best:" "$work/search.txt" || fail "no best tree"
"$eaglerun" simulate --model $m/llama2-7b-chat.json --hardware $h/h100-sxm5-80gb.json --n-alpha 0.79,0.74,0.72,0.73,0.67 \
  --tree "$work/tree.json" >/dev/null || fail "the searched tree does not load"

# this machine's profile is what scripts/make_machine_profile.py makes of the committed measurement
python3 scripts/make_machine_profile.py --roofline $h/measurements/this-machine-roofline.json --out "$work/machine.json" \
  >/dev/null || fail "make_machine_profile failed"
python3 - "$work/machine.json" $h/this-machine.json <<'PY' || fail "this-machine.json is not made from its measurement"
import json, sys
made, committed = (json.load(open(p)) for p in sys.argv[1:])
for key in ("memory_bandwidth", "bandwidth_share", "peak", "gemm_efficiency", "forward_time_ratio"):
    assert made[key] == committed[key], key
PY
"$eaglerun" simulate --model $m/smollm2-135m-instruct.json --hardware "$work/machine.json" \
  --runtime data/runtimes/eaglerun-cpu.json --weights int4 --lm-head int8 --head-precision int8 --tau 1.5 \
  --tree chain:1 >/dev/null || fail "the made profile does not load"

"$eaglerun" simulate --validate data/simulator/validation.json >"$work/validation.txt" || fail "validation failed"
grep -q "mean absolute error" "$work/validation.txt" || fail "no validation table"
"$eaglerun" simulate --calibrate data/simulator/calibration.json >"$work/calibration.txt" || fail "calibration failed"
grep -q "mean absolute error" "$work/calibration.txt" || fail "no calibration table"
grep -q "^per speculative step" "$work/calibration.txt" || fail "no per-step breakdown in the calibration table"

# bad input
python3 -c "import json; j=json.load(open('$h/l40s.json')); j['memory_bandwith']=j['memory_bandwidth']; json.dump(j, open('$work/typo.json','w'))"
expect_error "unknown key" "unknown key 'memory_bandwith'" --model $m/llama2-7b-chat.json --hardware "$work/typo.json" --tau 3
python3 -c "import json; j=json.load(open('$h/l40s.json')); j['memory']['unit']='GiG'; json.dump(j, open('$work/unit.json','w'))"
expect_error "unknown unit" "unknown unit 'GiG'" --model $m/llama2-7b-chat.json --hardware "$work/unit.json" --tau 3
expect_error "tp" "--tp 3 does not divide the 32 attention heads" --model $m/llama2-7b-chat.json --hardware $h/l40s.json --tp 3 --tau 3
expect_error "pp" "--pp 3 does not divide the 80 layers" --model $m/llama2-70b-chat.json --hardware $h/h200-sxm-141gb.json --pp 3 --tau 3
expect_error "ep" "--ep 3 does not divide the 8 experts" --model $m/mixtral-8x7b-instruct-v0.1.json --hardware $h/h200-sxm-141gb.json --ep 3 --tau 3
expect_error "fit" "GiB per GPU" --model $m/llama2-70b-chat.json --hardware $h/rtx-3090.json --tau 3
expect_error "tree vs n-alpha" "covers depths 1..2" --model $m/llama2-7b-chat.json --hardware $h/l40s.json --n-alpha 0.8,0.7 --tree eagle1
expect_error "acceptance file" "cannot open as HDF5" --model $m/llama2-7b-chat.json --hardware $h/l40s.json --acceptance $m/llama2-7b-chat.json
expect_error "acceptance of another head" "needs a head of hidden size 4096" --model $m/llama2-7b-chat.json --hardware $h/l40s.json \
  --acceptance docs/results/cells/speedup-smollm2/cell-0008-eagle1-mt_bench-T0-s0.h5
expect_error "context" "--context 4096 exceeds vicuna-7b-v1.3's context window of 2048 tokens" --model $m/vicuna-7b-v1.3.json \
  --hardware $h/l40s.json --tau 3 --context 4096
expect_error "search with tau" "--search-tree needs acceptance" --model $m/llama2-7b-chat.json --hardware $h/l40s.json --tau 3 --search-tree
expect_error "no acceptance" "no acceptance model" --model $m/llama2-7b-chat.json --hardware $h/l40s.json
expect_error "bad precision" "unknown precision 'fp8'" --model $m/llama2-7b-chat.json --hardware $h/l40s.json --tau 3 --weights fp8
expect_error "auto tree" "--tree auto chooses its tree at run time" --model $m/llama2-7b-chat.json --hardware $h/l40s.json --tau 3 --tree auto
echo "simulate_cli_test: ok"
