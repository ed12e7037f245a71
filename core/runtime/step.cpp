#include "core/runtime/step.h"

#include <numeric>
#include <string>

#include "core/error.h"

namespace eaglerun {

Step Step::causal(std::span<const int32_t> tokens, bool full_logits, bool want_hidden) {
  Step s;
  s.tokens.assign(tokens.begin(), tokens.end());
  s.rows = LogitRows::Last;
  s.full_logits = full_logits;
  s.want_hidden = want_hidden;
  return s;
}

int64_t Step::logit_rows() const {
  if (rows == LogitRows::All) return size();
  return rows == LogitRows::Last ? 1 : 0;
}

void Step::check() const {
  require(!tokens.empty(), "a step needs at least one token");
  if (parents.empty()) return;
  require(parents.size() == tokens.size(), "a tree step needs one parent per token");
  for (std::size_t i = 0; i < parents.size(); ++i) {
    require(parents[i] >= -1 && parents[i] < static_cast<int32_t>(i),
            "tree node " + std::to_string(i) + " has parent " + std::to_string(parents[i]) +
                "; parents must come before their children");
  }
}

std::vector<int32_t> Step::positions(int64_t past) const {
  std::vector<int32_t> p(tokens.size());
  if (parents.empty()) {
    std::iota(p.begin(), p.end(), static_cast<int32_t>(past));
    return p;
  }
  for (std::size_t i = 0; i < p.size(); ++i) {  // a parent's position is final before its children's
    p[i] = parents[i] < 0 ? static_cast<int32_t>(past) : p[static_cast<std::size_t>(parents[i])] + 1;
  }
  return p;
}

AttentionMask Step::mask(int64_t past) const {
  const int64_t n = size();
  if (parents.empty()) return AttentionMask::causal(past, n);
  AttentionMask m = AttentionMask::prefix_only(past, n);
  for (int64_t i = 0; i < n; ++i) {
    for (int32_t a = parents[i]; a >= 0; a = parents[a]) m.set(i, past + a, true);
  }
  return m;
}

}  // namespace eaglerun
