#pragma once
// A small draft-head config (H 64, I 128, 4/2 heads of 16) and the head's output over m rows at
// positions 0..m-1 (causal), for tests of DraftHead and of what is built on it.
#include <cstdint>
#include <vector>

#include "core/backend/attention_mask.h"
#include "core/eagle/draft_head.h"

namespace eaglerun::test {

inline DraftHeadConfig tiny_head_config() {
  DraftHeadConfig c;
  c.hidden_size = 64;
  c.intermediate_size = 128;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 16;
  c.vocab_size = 100;
  return c;
}

// out[m, H] of the head on embeddings emb[m, H] and features f[m, H].
inline std::vector<float> run_head(const DraftHead& head, const std::vector<float>& emb, const std::vector<float>& f,
                                   int64_t m, ThreadPool& pool) {
  KvCache kv = head.make_cache(m);
  std::vector<int32_t> positions(static_cast<std::size_t>(m));
  for (int64_t i = 0; i < m; ++i) positions[i] = static_cast<int32_t>(i);
  std::vector<float> out(emb.size());
  head.forward(emb.data(), f.data(), m, positions, AttentionMask::causal(0, m), kv, out.data(), pool);
  return out;
}

}  // namespace eaglerun::test
