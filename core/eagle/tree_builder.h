#pragma once
// Builds one step's draft tree by asking a Drafter to score nodes level by level.
//   Static shapes (eagle1, chain:K, JSON paths): the node at path [r1, ..., rd] is the rd-th
//   candidate of its parent. Candidates are the top tokens of the draft's logits (greedy), or drawn
//   without replacement from the draft distribution (sampling; the distribution is kept in the tree
//   for verification).
//   Dynamic shapes (EAGLE-2): a node's value is the sum of draft log-probabilities along its path.
//   Each level expands the best `topk` nodes by value, each into `topk` children; at the end
//   `total` nodes of the whole tree are kept. Greedy: the children are the top tokens, and the best
//   `total` by value are kept (a connected tree, since a child's value never exceeds its parent's).
//   Sampling: the children are drawn without replacement from the draft distribution (kept for
//   verification, as EAGLE-2's top tokens verified one-hot accept less at T > 0), and nodes are kept
//   best first by a prior that does not look at a node's own token (tree_builder.cpp: select_sampled).
#include <cstdint>
#include <span>
#include <vector>

#include "core/eagle/draft_tree.h"
#include "core/eagle/drafter.h"
#include "core/eagle/tree_spec.h"
#include "core/sampling/sampler.h"

namespace eaglerun {

// How a sampled dynamic tree chooses the nodes it keeps: Prior (best first by a prior blind to the
// drawn tokens: exact) or DrawnValue (by the drawn tokens' own draft probabilities, as greedy trees
// do: biased, for tests showing that the sampling test catches it).
enum class SampledKeepRule { Prior, DrawnValue };

// `sampler` decides greedy vs sampling candidates and supplies the RNG. Calls drafter.expand();
// the caller discards the drafter's tree entries afterwards.
DraftTree build_static_tree(Drafter& drafter, const StaticTreeShape& shape, int32_t root, Sampler& sampler);
DraftTree build_dynamic_tree(Drafter& drafter, const DynamicTreeShape& shape, int32_t root, Sampler& sampler,
                             SampledKeepRule keep = SampledKeepRule::Prior);

// The k largest entries of logits [n] (k <= n), largest first; ties go to the lower index.
std::vector<int32_t> top_k_indices(const float* logits, int64_t n, int64_t k);
// The same among the indices `among` only (empty = all n); at most among.size() of them.
std::vector<int32_t> top_k_among(const float* logits, int64_t n, std::span<const int32_t> among, int64_t k);

}  // namespace eaglerun
