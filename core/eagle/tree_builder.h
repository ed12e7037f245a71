#pragma once
// Builds one step's draft tree by asking a Drafter to score nodes level by level.
//   Static shapes (eagle1, chain:K, JSON paths): the node at path [r1, ..., rd] is the rd-th
//   candidate of its parent. Candidates are the top tokens of the draft's logits (greedy), or drawn
//   without replacement from the draft distribution (sampling; the distribution is kept in the tree
//   for verification).
//   Dynamic shapes (EAGLE-2): a node's value is the sum of draft log-probabilities along its path.
//   Each level expands the best `topk` nodes by value, each into its `topk` best children; at the
//   end the best `total` nodes of the whole tree are kept (a connected tree, since a child's value
//   never exceeds its parent's). Candidates are always the top tokens (verified one-hot).
#include <cstdint>
#include <span>
#include <vector>

#include "core/eagle/draft_tree.h"
#include "core/eagle/drafter.h"
#include "core/eagle/tree_spec.h"
#include "core/sampling/sampler.h"

namespace eaglerun {

// `sampler` decides greedy vs sampling candidates and supplies the RNG. Calls drafter.expand();
// the caller discards the drafter's tree entries afterwards.
DraftTree build_static_tree(Drafter& drafter, const StaticTreeShape& shape, int32_t root, Sampler& sampler);
DraftTree build_dynamic_tree(Drafter& drafter, const DynamicTreeShape& shape, int32_t root);

// The k largest entries of logits [n] (k <= n), largest first; ties go to the lower index.
std::vector<int32_t> top_k_indices(const float* logits, int64_t n, int64_t k);
// The same among the indices `among` only (empty = all n); at most among.size() of them.
std::vector<int32_t> top_k_among(const float* logits, int64_t n, std::span<const int32_t> among, int64_t k);

}  // namespace eaglerun
