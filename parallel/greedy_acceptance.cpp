#include "parallel/greedy_acceptance.h"

#include "core/error.h"

namespace eaglerun {

Acceptance verify_greedy_argmax(const DraftTree& tree, const std::vector<int32_t>& argmax) {
  require(static_cast<int32_t>(argmax.size()) == tree.size(), "one target token per tree node is needed");
  const auto children = tree.children();
  Acceptance a{{0}, -1};
  for (int32_t u = 0;;) {
    const int32_t y = argmax[u];
    int32_t next = -1;
    for (int32_t c : children[u]) {
      if (tree.tokens[c] == y) {
        next = c;
        break;
      }
    }
    if (next < 0) {
      a.bonus_token = y;
      return a;
    }
    a.path.push_back(next);
    u = next;
  }
}

}  // namespace eaglerun
