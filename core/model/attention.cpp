#include "core/model/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernels/attention_kernels.h"

namespace eaglerun {
namespace {

constexpr int kLanes = 16;

// Sum of 16 lanes by halving (8, 4, 2, 1).
float combine_sum(float* acc) {
  for (int w = kLanes / 2; w > 0; w /= 2) {
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  }
  return acc[0];
}

// scores[0..n) <- exp(scores - max) / sum: the softmax over one head's visible keys. The sum
// runs in 16 lanes (key t in lane t % 16), an order fixed by n alone, which vectorises.
void softmax_scores(float* scores, int64_t n) {
  float max_score = -INFINITY;
  for (int64_t t = 0; t < n; ++t) max_score = std::max(max_score, scores[t]);
  float acc[kLanes] = {};
  int64_t t = 0;
  for (; t + kLanes <= n; t += kLanes) {
    for (int l = 0; l < kLanes; ++l) acc[l] += (scores[t + l] = std::exp(scores[t + l] - max_score));
  }
  for (; t < n; ++t) acc[t % kLanes] += (scores[t] = std::exp(scores[t] - max_score));
  const float inv = 1.f / combine_sum(acc);
  for (t = 0; t < n; ++t) scores[t] *= inv;
}

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
      for (int64_t g = 0; g < G; ++g) softmax_scores(scores.data() + g * n, n);
      attention_mix(args);
      item += G;
    }
  });
}

}  // namespace eaglerun
