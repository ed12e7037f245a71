// masked_attention on every kernel ISA: against the formula in double, and a row's bits do not
// depend on which other rows share the call (what lossless tree verification needs).
#include "core/model/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/kernels/kernel_isa.h"

namespace eaglerun {
namespace {

std::vector<float> random_values(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = normal(rng);
  return v;
}

ModelConfig gqa_config(int64_t head_dim) {
  ModelConfig c;
  c.n_heads = 9;
  c.n_kv_heads = 3;
  c.head_dim = head_dim;
  return c;
}

// A tree-like mask: every new token sees the cache, itself, and every other earlier new token.
AttentionMask sparse_mask(int64_t past, int64_t n) {
  AttentionMask m = AttentionMask::prefix_only(past, n);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < i; j += 2) m.set(i, past + j, true);
  }
  return m;
}

// out[i, h] in double, from the definition in attention.h.
std::vector<double> reference(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                              const AttentionMask& m, const ModelConfig& c) {
  const int64_t D = c.head_dim;
  std::vector<double> out(static_cast<std::size_t>(m.n_new * c.q_dim()), 0.0);
  for (int64_t i = 0; i < m.n_new; ++i) {
    for (int64_t h = 0; h < c.n_heads; ++h) {
      const int64_t g = h / c.group_size();
      std::vector<double> s(static_cast<std::size_t>(m.width()), -INFINITY);
      double mx = -INFINITY, sum = 0.0;
      for (int64_t j = 0; j < m.width(); ++j) {
        if (!m(i, j)) continue;
        double dot = 0.0;
        for (int64_t d = 0; d < D; ++d) dot += double(q[i * c.q_dim() + h * D + d]) * k[j * c.kv_dim() + g * D + d];
        s[j] = dot / std::sqrt(double(D));
        mx = std::max(mx, s[j]);
      }
      for (int64_t j = 0; j < m.width(); ++j) sum += m(i, j) ? std::exp(s[j] - mx) : 0.0;
      for (int64_t j = 0; j < m.width(); ++j) {
        if (!m(i, j)) continue;
        const double p = std::exp(s[j] - mx) / sum;
        for (int64_t d = 0; d < D; ++d) out[i * c.q_dim() + h * D + d] += p * v[j * c.kv_dim() + g * D + d];
      }
    }
  }
  return out;
}

TEST(MaskedAttention, MatchesTheFormulaOnEveryIsaAndHeadSize) {
  const KernelIsa saved = active_kernel_isa();
  ThreadPool pool(2);
  for (KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512}) {
    if (!kernel_isa_supported(isa)) continue;
    set_kernel_isa(isa);
    for (int64_t head_dim : {8, 64, 72, 128}) {  // 8 and 72 take the portable loops on AVX-512
      const ModelConfig c = gqa_config(head_dim);
      const int64_t past = 37, n = 11;
      const AttentionMask m = sparse_mask(past, n);
      const auto q = random_values(n * c.q_dim(), 1), k = random_values(m.width() * c.kv_dim(), 2);
      const auto v = random_values(m.width() * c.kv_dim(), 3);
      std::vector<float> out(static_cast<std::size_t>(n * c.q_dim()));
      masked_attention(q.data(), k.data(), v.data(), m, c, out.data(), pool);
      const std::vector<double> want = reference(q, k, v, m, c);
      for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_NEAR(out[i], want[i], 2e-5) << kernel_isa_name(isa) << " head_dim " << head_dim << " output " << i;
      }
    }
  }
  set_kernel_isa(saved);
}

TEST(MaskedAttention, ARowHasTheSameBitsAloneAsInABatch) {
  ThreadPool pool(2);
  const ModelConfig c = gqa_config(64);
  const int64_t past = 50, n = 7;
  const AttentionMask all = AttentionMask::causal(past, n);
  const auto q = random_values(n * c.q_dim(), 4), k = random_values(all.width() * c.kv_dim(), 5);
  const auto v = random_values(all.width() * c.kv_dim(), 6);
  std::vector<float> batch(static_cast<std::size_t>(n * c.q_dim()));
  masked_attention(q.data(), k.data(), v.data(), all, c, batch.data(), pool);
  for (int64_t i = 0; i < n; ++i) {  // row i alone: the cache holds everything before it
    const AttentionMask one = AttentionMask::causal(past + i, 1);
    std::vector<float> alone(static_cast<std::size_t>(c.q_dim()));
    masked_attention(q.data() + i * c.q_dim(), k.data(), v.data(), one, c, alone.data(), pool);
    EXPECT_EQ(std::memcmp(alone.data(), batch.data() + i * c.q_dim(), alone.size() * sizeof(float)), 0) << "row " << i;
  }
}

// Several sequences in one call (AttentionSegment), each over its own cache: every row has the bits
// it has when its sequence runs alone.
TEST(MaskedAttention, ASegmentHasTheSameBitsAsItsSequenceAlone) {
  ThreadPool pool(2);
  const ModelConfig c = gqa_config(64);
  const std::vector<int64_t> past = {50, 0, 13}, fresh = {1, 5, 3};
  std::vector<std::vector<float>> q, k, v, batch;
  std::vector<AttentionMask> masks;
  std::vector<AttentionSegment> segments;
  for (std::size_t s = 0; s < past.size(); ++s) {
    masks.push_back(AttentionMask::causal(past[s], fresh[s]));
    q.push_back(random_values(fresh[s] * c.q_dim(), static_cast<uint32_t>(10 + s)));
    k.push_back(random_values(masks[s].width() * c.kv_dim(), static_cast<uint32_t>(20 + s)));
    v.push_back(random_values(masks[s].width() * c.kv_dim(), static_cast<uint32_t>(30 + s)));
    batch.emplace_back(static_cast<std::size_t>(fresh[s] * c.q_dim()));
  }
  for (std::size_t s = 0; s < past.size(); ++s) {
    segments.push_back({q[s].data(), k[s].data(), v[s].data(), &masks[s], batch[s].data()});
  }
  masked_attention(segments, c, pool);
  for (std::size_t s = 0; s < past.size(); ++s) {
    std::vector<float> alone(batch[s].size());
    masked_attention(q[s].data(), k[s].data(), v[s].data(), masks[s], c, alone.data(), pool);
    EXPECT_EQ(std::memcmp(alone.data(), batch[s].data(), alone.size() * sizeof(float)), 0) << "segment " << s;
  }
}

}  // namespace
}  // namespace eaglerun
