#include "core/eagle/draft_tree_mask.h"

#include "core/error.h"

namespace eaglerun {

AttentionMask DraftTreeRows::add(std::span<const DraftNode> nodes, std::vector<int32_t>& positions) {
  const int64_t past = stable_ + tree_rows();
  const auto n = static_cast<int64_t>(nodes.size());
  AttentionMask mask = AttentionMask::prefix_only(past, n);
  for (int64_t j = stable_; j < past; ++j) {
    for (int64_t i = 0; i < n; ++i) mask.set(i, j, false);  // earlier tree rows: only ancestors
  }
  positions.resize(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const DraftNode& node = nodes[i];
    require(node.parent < static_cast<int32_t>(parents_.size()), "drafter: node's parent was not expanded");
    for (int32_t a = node.parent; a >= 0; a = parents_[a]) mask.set(i, stable_ + a, true);
    positions[i] = static_cast<int32_t>(stable_ + node.depth - 1);
  }
  for (const DraftNode& node : nodes) parents_.push_back(node.parent);
  return mask;
}

}  // namespace eaglerun
