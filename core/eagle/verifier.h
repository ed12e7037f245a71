#pragma once
// Verification of a draft tree against the target's logits at every tree node: pure functions.
//
// Greedy (T = 0): walk from the root; at node u the target's choice is y = argmax(logits[u]); if a
// child of u carries y, accept it and continue from it, else stop. The bonus token is y at the last
// accepted node. The output equals plain greedy decoding token for token.
//
// Sampling (T > 0), multi-round speculative sampling (EAGLE paper, Alg. 1): at node u let
// p = the target's distribution (temperature, top-k, top-p exactly as plain sampling applies them).
// Try the children x_1..x_m in the order they were proposed:
//   q_i = the draft distribution with the siblings tried before removed and renormalised
//         (or the one-hot distribution at x_i when children were chosen deterministically);
//   accept x_i with probability min(1, p(x_i) / q_i(x_i)) and continue from it;
//   on rejection p <- normalise(max(0, p - q_i)).
// A child copied from the context (DraftTree::from_lookup) comes last and is tried one-hot against
// the p the drafter's rejected children left.
// If every child is rejected (or u has none), the bonus token is drawn from the current p.
// Each emitted token then follows the target's distribution exactly.
#include <cstdint>
#include <vector>

#include "core/eagle/draft_tree.h"
#include "core/sampling/sampler.h"

namespace eaglerun {

struct Acceptance {
  std::vector<int32_t> path;  // accepted nodes, path[0] = 0 (the root)
  int32_t bonus_token = -1;   // the target's token after the last accepted node
  int32_t accepted_drafts() const { return static_cast<int32_t>(path.size()) - 1; }
};

// target_logits: [tree.size(), V].
Acceptance verify_greedy(const DraftTree& tree, const float* target_logits, int64_t vocab);
// The same rule from the target's argmax at each node, argmax: [tree.size()] (what a distributed
// target returns for greedy steps: 4 bytes per node instead of V logits).
Acceptance verify_greedy_argmax(const DraftTree& tree, const std::vector<int32_t>& argmax);

// One node's multi-round rejection over its children (exposed for tests). p: target distribution
// [V], modified into the residual on rejections. Returns the index into `children` of the accepted
// child, or -1 when all were rejected; the bonus token is then drawn from p.
int32_t accept_among_children(std::vector<float>& p, const std::vector<int32_t>& child_tokens,
                              const std::vector<float>& draft_distribution, Sampler& sampler);

// The per-node rule verify_sampling applies, with accept_among_children's contract. Always
// accept_among_children in decoding; the lossless tests swap in wrong rules (no residual, no
// sibling renormalisation) to show that their statistics would catch them.
using ChildAcceptRule = int32_t (*)(std::vector<float>& p, const std::vector<int32_t>& child_tokens,
                                    const std::vector<float>& draft_distribution, Sampler& sampler);

Acceptance verify_sampling(const DraftTree& tree, const float* target_logits, int64_t vocab, Sampler& sampler,
                           ChildAcceptRule rule = accept_among_children);

}  // namespace eaglerun
