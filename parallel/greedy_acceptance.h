#pragma once
// Greedy verification (core/eagle/verifier.h's rule) from the target's argmax at each tree node,
// which is all the distributed target returns for greedy steps (4 bytes per node instead of V logits):
//   walk from the root; at node u the target's choice is y = argmax[u]; if a child of u carries y,
//   accept it and continue from it, else stop; the bonus token is y at the last accepted node.
#include <cstdint>
#include <vector>

#include "core/eagle/draft_tree.h"
#include "core/eagle/verifier.h"

namespace eaglerun {

// argmax: [tree.size()].
Acceptance verify_greedy_argmax(const DraftTree& tree, const std::vector<int32_t>& argmax);

}  // namespace eaglerun
