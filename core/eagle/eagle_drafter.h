#pragma once
// The EAGLE drafter: the draft head on the target's features, the target's embedding and LM head.
// Context entries pair the target's feature f_j with the next token t_{j+1} at position j; the
// last one pairs the root's predecessor feature with the root, and its output predicts the root's
// children. A tree node's input is its parent's predicted feature with the node's own token.
// A head trained on unshifted tokens (DraftInputs::FeatureAndUnshiftedToken) gets each feature's
// own token instead: context entries (f_j, t_j), tree nodes (parent's feature, parent's token).
// The head runs where the target does: the CPU's fast kernels beside a CPU target, else the target's
// device (its weights copied there at first use, its cache there, each level's inputs uploaded and
// its predicted features downloaded).
#include "core/eagle/draft_head.h"
#include "core/eagle/draft_lm_head.h"
#include "core/eagle/draft_tree_mask.h"
#include "core/eagle/drafter.h"
#include "core/model/model.h"

namespace eaglerun {

class EagleDrafter final : public Drafter {
 public:
  // capacity: most context entries plus one step's tree nodes. draft_vocabulary: the tokens the
  // draft may propose (empty = all).
  EagleDrafter(const Model& target, const DraftHead& head, int64_t capacity,
               std::vector<int32_t> draft_vocabulary = {});

  void begin(std::span<const int32_t> prompt, const float* features, int32_t root) override;
  void advance(const float* features, std::span<const int32_t> next_tokens) override;
  const std::vector<float>& root_logits() const override { return root_logits_; }
  std::vector<float> expand(std::span<const DraftNode> nodes) override;
  void discard_tree() override;
  int64_t vocab_size() const override { return target_.config().vocab_size; }
  std::span<const int32_t> draft_vocabulary() const override { return lm_head_.vocabulary(); }
  // The head's predicted feature after the root [H] (what root_logits() come from): the feature
  // error experiment compares it with the target's.
  const std::vector<float>& root_feature() const { return root_feature_; }
  std::vector<int64_t> tap_layers() const override { return head_.config().tap_layers; }

 private:
  // Appends pairs (features[i], tokens[i]) to the context; the last output becomes the root's.
  // tokens are the next tokens t_{j+1}; an unshifted head gets them moved one place right.
  void commit(const float* features, std::span<const int32_t> tokens);
  // out[m, H] = head(features, tokens) at `positions` under `mask`.
  std::vector<float> run_head(const float* features, std::span<const int32_t> tokens,
                              std::span<const int32_t> positions, const AttentionMask& mask);

  const Model& target_;
  const DraftHead& head_;
  DraftLmHead lm_head_;
  KvCache kv_;
  DraftTreeRows rows_;
  std::vector<float> root_feature_;   // [H]: the predicted feature after the root
  std::vector<float> root_logits_;    // [V]
  std::vector<float> node_features_;  // [tree rows, H]: predicted features of expanded nodes
  std::vector<int32_t> node_tokens_;  // [tree rows]: tokens of expanded nodes
  int32_t root_ = -1;                 // the current root token
};

}  // namespace eaglerun
