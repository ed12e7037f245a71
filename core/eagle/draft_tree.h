#pragma once
// One step's tree of draft tokens. Node 0 is the root: the token the target already chose, not
// yet in the target's KV cache. Every other node is a draft token; parent[i] < i and nodes are in
// breadth-first order (depth never decreases), children of a node in the order they were proposed.
//
// For verification the target sees all nodes at once:
//   positions[i] = position of the root + depth[i]
//   node i attends to every cached token, its ancestors and itself.
#include <cstdint>
#include <span>
#include <vector>

#include "core/runtime/step.h"

namespace eaglerun {

struct DraftTree {
  std::vector<int32_t> tokens;  // [N]
  std::vector<int32_t> parent;  // [N], -1 for the root
  std::vector<int32_t> depth;   // [N], 0 for the root
  std::vector<double> value;    // [N]: sum of draft log-probabilities along the path (0 for the root);
                                //      filled by dynamic trees, 0 elsewhere
  // For sampling verification: the draft distribution [V] that node i's children were drawn from
  // without replacement, or empty when they were chosen deterministically (then each sibling is
  // verified against a one-hot draft distribution, which is also lossless).
  std::vector<std::vector<float>> child_distribution;  // [N]
  // [N]: proposed by the context lookup alone (core/eagle/context_lookup.h), not by the drafter. Such
  // a node is always its parent's last child and is verified against a one-hot draft distribution.
  std::vector<bool> from_lookup;

  explicit DraftTree(int32_t root_token);
  // Appends a child of `parent_node` and returns its index. Children must be added in
  // breadth-first order.
  int32_t add(int32_t parent_node, int32_t token, double path_value = 0.0);

  int32_t size() const { return static_cast<int32_t>(tokens.size()); }
  int32_t max_depth() const;
  std::vector<std::vector<int32_t>> children() const;  // [N] -> child indices in proposal order
  std::vector<int32_t> path_to(int32_t node) const;      // root ... node

  // The target's forward over every node (logits for each; all V of them when full_logits): its
  // positions and mask (Step::positions, Step::mask) follow from the parents as described above.
  Step verification_step(bool full_logits) const;

  // This tree with the path `tokens` from the root added: it follows existing nodes while their
  // tokens agree, then adds the rest as new nodes (from_lookup, value -inf: no draft probability),
  // each its parent's last child. Nodes are renumbered to stay in breadth-first order.
  DraftTree with_path(std::span<const int32_t> tokens) const;
  // Tokens of `path` (root first) that lie on this tree's path from the root along `tokens`: how
  // many of a with_path() path's tokens a verification accepted.
  int32_t accepted_along(std::span<const int32_t> tokens, const std::vector<int32_t>& path) const;

  // The root and the n draft nodes of highest value (parents before children on ties, so the
  // result is a connected tree since a child's value never exceeds its parent's).
  DraftTree keep_best(int64_t n) const;
};

}  // namespace eaglerun
