#include "core/backend/attention_mask.h"

namespace eaglerun {

AttentionMask AttentionMask::prefix_only(int64_t n_past, int64_t n_new) {
  AttentionMask m{n_past, n_new, std::vector<uint8_t>(static_cast<std::size_t>(n_new * (n_past + n_new)), 0)};
  for (int64_t i = 0; i < n_new; ++i) {
    for (int64_t j = 0; j < n_past; ++j) m.set(i, j, true);
    m.set(i, n_past + i, true);
  }
  return m;
}

AttentionMask AttentionMask::causal(int64_t n_past, int64_t n_new) {
  AttentionMask m = prefix_only(n_past, n_new);
  for (int64_t i = 0; i < n_new; ++i) {
    for (int64_t k = 0; k < i; ++k) m.set(i, n_past + k, true);
  }
  return m;
}

}  // namespace eaglerun
