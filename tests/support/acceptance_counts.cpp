#include "tests/support/acceptance_counts.h"

#include <algorithm>

namespace eaglerun::test {

void AcceptanceCounts::add(const DraftTree& tree, const Acceptance& acceptance) {
  const auto a = static_cast<std::size_t>(acceptance.accepted_drafts());
  if (by_length.size() <= a) by_length.resize(a + 1, 0);
  ++by_length[a];
  ++steps;
  const auto children = tree.children();
  bool through_sibling = false;
  for (std::size_t i = 1; i < acceptance.path.size(); ++i) {
    const auto& siblings = children[acceptance.path[i - 1]];
    through_sibling |= std::find(siblings.begin(), siblings.end(), acceptance.path[i]) != siblings.begin();
  }
  non_first += through_sibling;
  deep_non_first += through_sibling && a >= 2;
}

std::string AcceptanceCounts::summary() const {
  std::string s = "steps " + std::to_string(steps) + ": accepted";
  for (std::size_t a = 0; a < by_length.size(); ++a) s += " " + std::to_string(a) + ":" + std::to_string(by_length[a]);
  return s + ", non-first branch " + std::to_string(non_first) + " (" + std::to_string(deep_non_first) +
         " with 2+ drafts)";
}

}  // namespace eaglerun::test
