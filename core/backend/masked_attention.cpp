#include "core/backend/masked_attention.h"

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

// The first element of a KV head's columns: `offset` elements after the start of a cache row.
const void* head_rows(const void* rows, DType dtype, int64_t offset) {
  return static_cast<const std::byte*>(rows) + storage_bytes(dtype, offset);
}

}  // namespace

void masked_attention(const float* q, const KvRows& kv, const AttentionMask& mask, const ModelConfig& c,
                      float* out, ThreadPool& pool) {
  const AttentionSegment segment{q, kv, &mask, out};
  masked_attention(std::span(&segment, 1), c, pool);
}

void masked_attention(std::span<const AttentionSegment> segments, const ModelConfig& c, ThreadPool& pool) {
  const int64_t D = c.head_dim, n_heads = c.n_heads, group = c.group_size();
  const int64_t q_stride = c.q_dim();
  const float scale = 1.f / std::sqrt(static_cast<float>(D));
  // Items are (segment, new token, query head), numbered across the segments in order; first[s] is
  // segment s's first item. A thread takes a contiguous range and runs it in runs of heads that
  // share one token and one KV head (each key row is loaded once per run). Every head is computed
  // the same way whatever run or segment list it falls in, so the split changes no result.
  std::vector<int64_t> first(segments.size() + 1, 0);
  int64_t widest = 0;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    first[s + 1] = first[s] + segments[s].mask->n_new * n_heads;
    widest = std::max(widest, segments[s].mask->width());
  }
  pool.parallel_for(first.back(), [&](int64_t begin, int64_t end) {
    std::vector<float> scores(static_cast<std::size_t>(group * widest));
    std::vector<int64_t> visible;
    std::size_t s = static_cast<std::size_t>(std::upper_bound(first.begin(), first.end(), begin) - first.begin()) - 1;
    int64_t listed_row = -1;
    for (int64_t item = begin; item < end;) {
      while (item >= first[s + 1]) ++s, listed_row = -1;
      const AttentionSegment& seg = segments[s];
      const int64_t local = item - first[s], i = local / n_heads, h = local % n_heads, kv_head = h / group;
      const int64_t G = std::min(end - item, (kv_head + 1) * group - h);  // heads in this run
      if (i != listed_row) visible_keys(*seg.mask, i, visible), listed_row = i;
      const int64_t n = static_cast<int64_t>(visible.size());
      const KvRows& kv = seg.kv;
      const AttentionHeadsArgs args{seg.q + i * q_stride + h * D,
                                    G,
                                    head_rows(kv.keys, kv.dtype, kv_head * kv.head_stride),
                                    head_rows(kv.values, kv.dtype, kv_head * kv.head_stride),
                                    kv.dtype,
                                    visible.data(),
                                    n,
                                    kv.row_stride,
                                    D,
                                    scale,
                                    scores.data(),
                                    seg.out + i * q_stride + h * D};
      attention_scores(args);
      for (int64_t g = 0; g < G; ++g) attention_softmax(scores.data() + g * n, n);
      attention_mix(args);
      item += G;
    }
  });
}

}  // namespace eaglerun
