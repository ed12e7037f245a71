#pragma once
// Classic speculative decoding's drafter: a whole small model of the same vocabulary, with its
// own KV cache. Its context is the token sequence itself (target features are ignored). With the
// target as its own draft ("self-draft") every greedy path is accepted in full.
#include "core/eagle/draft_tree_mask.h"
#include "core/eagle/drafter.h"
#include "core/model/model.h"

namespace eaglerun {

class ModelDrafter final : public Drafter {
 public:
  // capacity: most tokens the context plus one step's tree will hold.
  ModelDrafter(const Model& draft, int64_t capacity);

  void begin(std::span<const int32_t> prompt, const float* features, int32_t root) override;
  void advance(const float* features, std::span<const int32_t> next_tokens) override;
  const std::vector<float>& root_logits() const override { return root_logits_; }
  std::vector<float> expand(std::span<const DraftNode> nodes) override;
  void discard_tree() override;
  int64_t vocab_size() const override { return model_.config().vocab_size; }

 private:
  void commit(std::span<const int32_t> tokens);

  const Model& model_;
  KvCache kv_;
  DraftTreeRows rows_;
  std::vector<float> root_logits_;  // [V]
};

}  // namespace eaglerun
