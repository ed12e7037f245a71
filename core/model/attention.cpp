#include "core/model/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernels/attention_kernels.h"

namespace eaglerun {
namespace {

// The keys new token i may see, in cache order.
void visible_keys(const AttentionMask& mask, int64_t i, std::vector<int64_t>& visible) {
  const int64_t width = mask.width();
  const uint8_t* row = mask.allowed.data() + i * width;
  visible.resize(static_cast<std::size_t>(width));
  int64_t n = 0;
  for (int64_t j = 0; j < width; ++j) {
    visible[n] = j;
    n += row[j] != 0;
  }
  visible.resize(static_cast<std::size_t>(n));
}

}  // namespace

void masked_attention(const float* q, const float* keys, const float* values, const AttentionMask& mask,
                      const ModelConfig& c, float* out, ThreadPool& pool) {
  const int64_t D = c.head_dim, n_heads = c.n_heads, group = c.group_size();
  const int64_t q_stride = c.q_dim(), kv_stride = c.kv_dim();
  const float scale = 1.f / std::sqrt(static_cast<float>(D));
  // Items are (new token, query head); a thread takes a contiguous range and runs it in runs of
  // heads that share one token and one KV head (each key row is loaded once per run). Every head
  // is computed the same way whatever run it falls in, so the split changes no result.
  pool.parallel_for(mask.n_new * n_heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(static_cast<std::size_t>(group * mask.width()));
    std::vector<int64_t> visible;
    int64_t listed_row = -1;
    for (int64_t item = begin; item < end;) {
      const int64_t i = item / n_heads, h = item % n_heads, kv_head = h / group;
      const int64_t G = std::min(end - item, (kv_head + 1) * group - h);  // heads in this run
      if (i != listed_row) visible_keys(mask, i, visible), listed_row = i;
      const int64_t n = static_cast<int64_t>(visible.size());
      const AttentionHeadsArgs args{q + i * q_stride + h * D, G, keys + kv_head * D, values + kv_head * D,
                                    visible.data(), n, kv_stride, D, scale, scores.data(), out + i * q_stride + h * D};
      attention_scores(args);
      for (int64_t g = 0; g < G; ++g) attention_softmax(scores.data() + g * n, n);
      attention_mix(args);
      item += G;
    }
  });
}

}  // namespace eaglerun
