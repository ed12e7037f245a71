#include "core/eagle/model_drafter.h"

namespace eaglerun {

ModelDrafter::ModelDrafter(const Model& draft, int64_t capacity) : model_(draft), kv_(draft.make_cache(capacity)) {}

void ModelDrafter::commit(std::span<const int32_t> tokens) {
  discard_tree();
  root_logits_ = model_.forward_causal(tokens, kv_, LogitRows::Last).logits;
  rows_.reset(kv_.size());
}

void ModelDrafter::begin(std::span<const int32_t> prompt, const float*, int32_t root) {
  kv_.truncate(0);
  rows_.reset(0);
  std::vector<int32_t> tokens(prompt.begin(), prompt.end());
  tokens.push_back(root);
  commit(tokens);
}

void ModelDrafter::advance(const float*, std::span<const int32_t> next_tokens) { commit(next_tokens); }

std::vector<float> ModelDrafter::expand(std::span<const DraftNode> nodes) {
  std::vector<int32_t> positions, tokens;
  const AttentionMask mask = rows_.add(nodes, positions);
  for (const DraftNode& n : nodes) tokens.push_back(n.token);
  return model_.forward(tokens, positions, mask, kv_, LogitRows::All).logits;
}

void ModelDrafter::discard_tree() {
  kv_.truncate(rows_.stable());
  rows_.reset(rows_.stable());
}

}  // namespace eaglerun
