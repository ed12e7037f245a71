#pragma once
// Bookkeeping shared by drafters for one step's tree entries in the drafter's own KV cache:
// the first `stable` rows are the committed context; row stable + id holds tree node `id` (in
// expand() call order). A node sees the context, its ancestors and itself, at position
// stable + depth - 1 (its parent's position + 1; the root sits at stable - 1).
#include <cstdint>
#include <span>
#include <vector>

#include "core/eagle/drafter.h"
#include "core/backend/attention_mask.h"

namespace eaglerun {

class DraftTreeRows {
 public:
  void reset(int64_t stable) {
    stable_ = stable;
    parents_.clear();
  }
  int64_t stable() const { return stable_; }
  int64_t tree_rows() const { return static_cast<int64_t>(parents_.size()); }

  // Registers `nodes` (ids continue from earlier calls) and returns their positions and mask
  // over [stable + earlier tree rows, + nodes].
  AttentionMask add(std::span<const DraftNode> nodes, std::vector<int32_t>& positions);

 private:
  int64_t stable_ = 0;
  std::vector<int32_t> parents_;  // per tree row: the parent's tree row, -1 = the root
};

}  // namespace eaglerun
