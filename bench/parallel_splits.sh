#!/usr/bin/env bash
# Tensor- and pipeline-parallel splits against one rank, in one run: prefill and decode tokens/s,
# the time inside communication calls per decode step (slowest rank) and the bytes sent per step
# (all ranks), next to the minimum each split needs; pp = 2 also with 4 sequences in flight
# (pipeline micro-batches; decode tokens/s counts every sequence's tokens). Splits run under mpirun on this machine, one
# thread per rank; the one-rank baseline uses as many threads as the split has ranks.
#   bench/parallel_splits.sh [OUT_DIR]         (default runs/parallel-splits)
# Models: a random LLaMA with 12 query / 4 KV heads (bench/make_random_llama, BF16; tp=2 needs
# heads that the default model's 9 / 3 lack) and the default model (Q4_1; pp=2, tp=3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-runs/parallel-splits}"
mkdir -p "$out"
eaglerun=build/release/apps/eaglerun
random_model=runs/random-llama
[ -f "$random_model/model.safetensors" ] || build/release/bench/make_random_llama "$random_model"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_hwloc_base_binding_policy=none
bench=(bench --tokenizer default --prompt-tokens 128 --decode-tokens 64 --repeats 3 --json)

run() {  # run NAME MODEL RANKS SPLIT_FLAGS...
  local name="$1" model="$2" ranks="$3"; shift 3
  if [ "$ranks" -eq 1 ]; then
    "$eaglerun" "${bench[@]}" --model "$model" "$@" > "$out/$name.json"
  else
    mpirun -np "$ranks" "$eaglerun" "${bench[@]}" --model "$model" --threads 1 "$@" > "$out/$name.json"
  fi
  echo "$name: $(cat "$out/$name.json")" >&2
}
run random-1x2 "$random_model" 1 --threads 2
run random-tp2 "$random_model" 2 --tp 2
run random-pp2 "$random_model" 2 --pp 2
run random-tp2pp2 "$random_model" 4 --tp 2 --pp 2
run default-1x2 default 1 --threads 2
run default-pp2 default 2 --pp 2
run default-pp2-batch4 default 2 --pp 2 --batch 4
run default-1x3 default 1 --threads 3
run default-tp3 default 3 --tp 3

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def load(name): return json.load(open(f"{out}/{name}.json"))
def config(model):
    path = "runs/random-llama/config.json" if model == "random" else None
    if path: c = json.load(open(path)); return c["hidden_size"], c["num_hidden_layers"]
    return 576, 30  # SmolLM2-135M
def minimum(model, r):
    # Per decode step (one token), payload bytes all ranks must send:
    #   tp: 2 all-reduces of H fp32 per layer, each 2 (tp-1)/tp x 4H per rank (reduce-scatter +
    #       all-gather), and each rank's (value, index) best of its vocabulary slice (8 bytes);
    #   pp: 4H activation bytes to each of the tp ranks after each of the pp-1 stage boundaries
    #       (only 4H of them cross it, 1/tp from each rank; the rest is the next stage's all-gather),
    #       and the argmax (4 bytes)
    #       back to rank 0 when it is not on the last stage. The per-step command (a header and
    #       the token) that rank 0 broadcasts is counted once.
    H, L = config(model)
    tp, pp = r.get("tp", 1), r.get("pp", 1)
    b = 0
    if tp > 1: b += pp * (L // pp) * 2 * tp * 2 * (tp - 1) / tp * 4 * H + tp * 8
    if pp > 1: b += (pp - 1) * tp * 4 * H + 4
    return b
rows = [("random", "random-1x2", None), ("random", "random-tp2", "random-1x2"), ("random", "random-pp2", "random-1x2"),
        ("random", "random-tp2pp2", "random-1x2"), ("default", "default-1x2", None), ("default", "default-pp2", "default-1x2"), ("default", "default-pp2-batch4", "default-1x2"),
        ("default", "default-1x3", None), ("default", "default-tp3", "default-1x3")]
print("| model | split | ranks x threads | prefill tok/s | decode tok/s | decode vs one rank | comm ms/step | bytes/step | minimum bytes/step |")
print("|---|---|---|---|---|---|---|---|---|")
for model, name, base in rows:
    r = load(name)
    ranks = r.get("ranks", 1)
    split = f"tp {r.get('tp', 1)} x pp {r.get('pp', 1)}" if ranks > 1 else "one rank"
    if r.get("batch", 1) > 1: split += f", {r['batch']} sequences"
    threads = f"{ranks} x 1" if ranks > 1 else f"1 x {r['threads']}"
    ratio = f"{r['decode_tokens_per_second'] / load(base)['decode_tokens_per_second']:.2f}x" if base else "1"
    comm = f"{1e3 * r['comm_seconds_per_forward']:.3f}" if ranks > 1 else "-"
    sent = f"{r['comm_bytes_per_forward']:.0f}" if ranks > 1 else "-"
    need = f"{minimum(model, r):.0f}" if ranks > 1 else "-"
    print(f"| {model} | {split} | {threads} | {r['prefill_tokens_per_second']:.1f} | {r['decode_tokens_per_second']:.1f} | {ratio} | {comm} | {sent} | {need} |")
PY
