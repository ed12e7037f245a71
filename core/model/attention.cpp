#include "core/model/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace eaglerun {
namespace {

// One (token, head) pair: scores over the allowed keys, softmax, weighted sum of values.
void attend_one(const float* q, const float* keys, const float* values, const AttentionMask& mask, int64_t i,
                int64_t kv_offset, int64_t kv_stride, int64_t head_dim, float scale, std::vector<float>& scores,
                std::vector<int64_t>& visible, float* out) {
  visible.clear();
  for (int64_t j = 0; j < mask.width(); ++j) {
    if (mask(i, j)) visible.push_back(j);
  }
  scores.resize(visible.size());
  float max_score = -INFINITY;
  for (std::size_t t = 0; t < visible.size(); ++t) {
    const float* k = keys + visible[t] * kv_stride + kv_offset;
    float dot = 0.f;
    for (int64_t d = 0; d < head_dim; ++d) dot += q[d] * k[d];
    scores[t] = dot * scale;
    max_score = std::max(max_score, scores[t]);
  }
  float sum = 0.f;
  for (float& s : scores) sum += (s = std::exp(s - max_score));
  std::fill(out, out + head_dim, 0.f);
  for (std::size_t t = 0; t < visible.size(); ++t) {
    const float p = scores[t] / sum;
    const float* v = values + visible[t] * kv_stride + kv_offset;
    for (int64_t d = 0; d < head_dim; ++d) out[d] += p * v[d];
  }
}

}  // namespace

void masked_attention(const float* q, const float* keys, const float* values, const AttentionMask& mask,
                      const ModelConfig& c, float* out, ThreadPool& pool) {
  const int64_t D = c.head_dim, n_heads = c.n_heads, group = c.group_size();
  const int64_t q_stride = c.q_dim(), kv_stride = c.kv_dim();
  const float scale = 1.f / std::sqrt(static_cast<float>(D));
  pool.parallel_for(mask.n_new * n_heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores;
    std::vector<int64_t> visible;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t i = task / n_heads, h = task % n_heads;
      attend_one(q + i * q_stride + h * D, keys, values, mask, i, (h / group) * D, kv_stride, D, scale, scores, visible,
                 out + i * q_stride + h * D);
    }
  });
}

}  // namespace eaglerun
