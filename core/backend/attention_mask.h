#pragma once
// Which cached-or-new tokens each new token may attend to.
//   allowed: [n_new, n_past + n_new], row-major; allowed(i, j) == 1 when new token i sees token j,
//   where j < n_past are cached tokens and j = n_past + k is the k-th new token.
// causal() is plain decoding; a draft tree gives each node its ancestors (built by the tree code).
#include <cstdint>
#include <vector>

namespace eaglerun {

struct AttentionMask {
  int64_t n_past = 0;
  int64_t n_new = 0;
  std::vector<uint8_t> allowed;  // [n_new, n_past + n_new]

  int64_t width() const { return n_past + n_new; }
  bool operator()(int64_t i, int64_t j) const { return allowed[static_cast<std::size_t>(i * width() + j)] != 0; }
  void set(int64_t i, int64_t j, bool v) { allowed[static_cast<std::size_t>(i * width() + j)] = v ? 1 : 0; }

  static AttentionMask causal(int64_t n_past, int64_t n_new);
  // Cached tokens visible to all; among new tokens only what `set` allows (each row sees itself).
  static AttentionMask prefix_only(int64_t n_past, int64_t n_new);
};

}  // namespace eaglerun
