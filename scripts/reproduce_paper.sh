#!/usr/bin/env bash
# Runs every shipped experiment (experiments/configs/*-smollm2.json) into OUT/<config name>/, resumably:
# those on the shipped head, then the draft-input ablation's heads (scripts/train_ablation_heads.sh) and
# the experiments that read them, the training-data ablation's (scripts/train_data_ablation.sh), then the quantised targets (made by `eaglerun convert`), then the
# report (analysis/report.py). A rerun finishes only what is missing.
#   scripts/reproduce_paper.sh [--quick] [OUT]     (default OUT: runs/paper, or runs/paper-quick)
# --quick: 2 questions per eval set, 32 new tokens, the first turn only, the first two eval sets, a
# shortened noise curve, ablation heads with a tiny budget and one converted target: every kind end to
# end in a few minutes on 2 cores. The full run takes about two hours.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
out="${1:-runs/paper$([ $quick -eq 1 ] && echo -quick)}"
[ "${EAGLERUN_SKIP_SETUP:-0}" = 1 ] || ./scripts/setup.sh  # (the test suite runs it on a built tree)
eaglerun="${EAGLERUN:-$root/build/release/apps/eaglerun}"

quick_settings=(--set prompt_limit=2 --set max_new_tokens=32 --set max_turns=1)
json_list() {  # json_list a b c -> ["a","b","c"]
  local out="" item
  for item in "$@"; do out+="${out:+,}\"$item\""; done
  echo "[$out]"
}

run_experiment() {  # config name, then extra --set arguments
  local name="$1"; shift
  local config="experiments/configs/$name.json"
  local args=("$@")
  [ $quick -eq 1 ] && args=("${quick_settings[@]}" "${args[@]}")
  echo "== $name: $("$eaglerun" experiment list "$config" "${args[@]}" | tail -1)"
  "$eaglerun" experiment run "$config" --out "$out/$name" "${args[@]}"
  /usr/bin/python3 tests/experiments/check_experiment_cells.py "$out/$name"
}

# The experiments on the shipped head.
if [ $quick -eq 1 ]; then
  run_experiment feature-error-smollm2
  run_experiment n-alpha-smollm2
  run_experiment robustness-smollm2 --set 'noise_scales=[0,0.5]'
  run_experiment speedup-smollm2 --set 'eval_sets=["mt_bench","gsm8k"]'
  run_experiment tree-vs-chain-smollm2 --set 'trees=["eagle1","chain:5"]'
  run_experiment context-copies-smollm2 --set 'eval_sets=["mt_bench","humaneval"]'
  run_experiment sampled-trees-smollm2 --set 'eval_sets=["mt_bench"]' --set 'trees=["chain:2","dynamic:total=4,depth=2,topk=2"]'
else
  for name in feature-error n-alpha robustness speedup tree-vs-chain context-copies sampled-trees; do run_experiment "$name-smollm2"; done
fi

# The draft-input ablation: its heads first (resumable), then the experiments that read them.
./scripts/train_ablation_heads.sh $([ $quick -eq 1 ] && echo --quick) "$out/ablation"
heads="$out/ablation/heads"
ablation_args=(--set "draft=$(json_list "$heads/feature_and_shifted_token" \
  "$heads/feature_only" "$heads/token_only" "$heads/feature_and_unshifted_token" "$heads/no_feature_noise")")
[ $quick -eq 1 ] && ablation_args+=(--set draft_vocab=512)  # what the --quick heads draft over
run_experiment draft-inputs-smollm2 "${ablation_args[@]}"
run_experiment feature-error-noise-smollm2 \
  --set "draft=$(json_list "$heads/feature_and_shifted_token" "$heads/no_feature_noise")"

# The training-data ablation: fixed ShareGPT answers vs the target's own, then MT-bench with each head.
./scripts/train_data_ablation.sh $([ $quick -eq 1 ] && echo --quick) "$out/data-ablation" "$out/ablation/features"
data_heads="$out/data-ablation/heads"
data_args=(--set "draft=$(json_list "$data_heads/fixed_sharegpt" "$data_heads/target_generated")")
[ $quick -eq 1 ] && data_args+=(--set draft_vocab=256)  # what the --quick heads draft over
run_experiment data-ablation-smollm2 "${data_args[@]}"
# The same at a larger budget on the committed regenerated answers (skipped by --quick).
if [ $quick -eq 0 ]; then
  ./scripts/train_data_ablation.sh --large "$out/data-ablation-large"
  large_heads="$out/data-ablation-large/heads"
  run_experiment data-ablation-large-smollm2 \
    --set "draft=$(json_list "$large_heads/fixed_sharegpt" "$large_heads/target_generated")"
fi

# Quantised targets: the shipped Q4_1 file converted to the other tensor types.
types=(Q8_0 F16 BF16)
[ $quick -eq 1 ] && types=(Q8_0)
models=(default)
mkdir -p "$out/models"
for type in "${types[@]}"; do
  file="$out/models/SmolLM2-135M-Instruct.$type.gguf"
  [ -f "$file" ] || "$eaglerun" convert --in models/SmolLM2-135M-Instruct.Q4_1.gguf --out "$file" --type "$type"
  models+=("$file")
done
quantised_args=(--set "model=$(json_list "${models[@]}")")
[ $quick -eq 1 ] && quantised_args+=(--set 'trees=["chain:1"]')
run_experiment quantised-target-smollm2 "${quantised_args[@]}"

# One report per experiment folder, and an index.
mkdir -p "$out/report"
/usr/bin/python3 analysis/report.py "$out"/*-smollm2 --out "$out/report"
/usr/bin/python3 analysis/index.py "$out" --out "$out/report"
echo "report: $out/report/REPORT.md"
