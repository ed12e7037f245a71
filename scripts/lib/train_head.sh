# Sourced by the ablation scripts. train_head NAME [eaglerun train arguments: --data, --set...]: trains one head with
# the shipped recipe (experiments/configs/train-smollm2-135m.json, token loss over 2,048 draft tokens)
# for $steps steps into $out/train/NAME and copies it to $out/heads/NAME; resumes from its checkpoints;
# a head with weights is finished and skipped. Needs: $out, $steps, $quick, $eaglerun, $threads;
# $draft_vocab (default 2048) sets the token loss's draft vocabulary.
train_head() {
  local name="$1"; shift
  local head="$out/heads/$name"
  if [ -f "$head/model.safetensors" ]; then echo "head $name: done"; return; fi
  local args=(--set total_steps=$steps --set draft_vocab=${draft_vocab:-2048} --set checkpoint_every=50)
  # --quick: sequences cut to 128 tokens (a quarter of the training time; every path still runs).
  if [ $quick -eq 1 ]; then
    args+=(--set warmup_steps=4 --set validate_every=$steps --set validation_sequences=4 --set max_seq_len=128);
  else args+=(--set validate_every=300); fi
  "$eaglerun" train --config experiments/configs/train-smollm2-135m.json "${args[@]}" "$@" \
    --out "$out/train/$name" --threads "$threads" --log-every 50
  mkdir -p "$head"
  cp "$out/train/$name/head/config.json" "$out/train/$name/head/draft_vocab.json" "$head/"
  cp "$out/train/$name/head/model.safetensors" "$head/model.safetensors.partial"
  mv "$head/model.safetensors.partial" "$head/model.safetensors"  # last: a head with weights is complete
}
