// masked_attention on every kernel ISA: against the formula in double, and a row's bits do not
// depend on which other rows share the call (what lossless tree verification needs).
//
// fp16 cache (the fast path's). Its kernels widen each stored row exactly and then run the fp32
// arithmetic, so they return the bits of the fp32 kernels over the widened rows (checked bit for bit);
// the only new error is the rounding of each key and value when it enters the cache:
//   |k~ - k| <= u |k| + eta,  u = 2^-11 (fp16's 10-bit mantissa, round to nearest), eta = 2^-25
//   (half the spacing of fp16's subnormals, below 2^-14).
// For one token and head, scores s_t = scale q . k_t move by at most
//   delta_t = scale sum_i |q_i| (u |k_ti| + eta),  delta = max_t delta_t,
// so each probability moves by a factor within e^(+-2 delta): |p~_t - p_t| <= (e^(2 delta) - 1) p_t, and
// each output element o = sum_t p_t v_t by at most
//   E = (e^(2 delta) - 1) sum_t p_t ((1 + u) |v_t| + eta) + sum_t p_t (u |v_t| + eta),
// on top of the fp32 kernels' own rounding (the 2e-5 the fp32 test allows). The test asserts that
// bound against the formula in double over the unrounded rows.
#include "core/backend/masked_attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/kernels/kernel_isa.h"
#include "core/kernels/matmul.h"

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

// p_j of token i and query head h in double, from the definition in attention.h (0 where masked).
std::vector<double> probabilities(const std::vector<float>& q, const std::vector<float>& k, const AttentionMask& m,
                                  const ModelConfig& c, int64_t i, int64_t h) {
  const int64_t D = c.head_dim, g = h / c.group_size();
  std::vector<double> s(static_cast<std::size_t>(m.width()), -INFINITY), p(s.size(), 0.0);
  double mx = -INFINITY, sum = 0.0;
  for (int64_t j = 0; j < m.width(); ++j) {
    if (!m(i, j)) continue;
    double dot = 0.0;
    for (int64_t d = 0; d < D; ++d) dot += double(q[i * c.q_dim() + h * D + d]) * k[j * c.kv_dim() + g * D + d];
    s[j] = dot / std::sqrt(double(D));
    mx = std::max(mx, s[j]);
  }
  for (int64_t j = 0; j < m.width(); ++j) sum += m(i, j) ? std::exp(s[j] - mx) : 0.0;
  for (int64_t j = 0; j < m.width(); ++j) p[j] = m(i, j) ? std::exp(s[j] - mx) / sum : 0.0;
  return p;
}

// out[i, h] in double, from the definition in attention.h.
std::vector<double> reference(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                              const AttentionMask& m, const ModelConfig& c) {
  const int64_t D = c.head_dim;
  std::vector<double> out(static_cast<std::size_t>(m.n_new * c.q_dim()), 0.0);
  for (int64_t i = 0; i < m.n_new; ++i) {
    for (int64_t h = 0; h < c.n_heads; ++h) {
      const int64_t g = h / c.group_size();
      const std::vector<double> p = probabilities(q, k, m, c, i, h);
      for (int64_t j = 0; j < m.width(); ++j) {
        for (int64_t d = 0; d < D; ++d) out[i * c.q_dim() + h * D + d] += p[j] * v[j * c.kv_dim() + g * D + d];
      }
    }
  }
  return out;
}

// E of every output element for an fp16 cache (the bound stated at the top of this file).
std::vector<double> fp16_cache_bound(const std::vector<float>& q, const std::vector<float>& k,
                                     const std::vector<float>& v, const AttentionMask& m, const ModelConfig& c) {
  constexpr double u = 1.0 / 2048, eta = 1.0 / (1 << 25);
  const int64_t D = c.head_dim;
  std::vector<double> bound(static_cast<std::size_t>(m.n_new * c.q_dim()), 0.0);
  for (int64_t i = 0; i < m.n_new; ++i) {
    for (int64_t h = 0; h < c.n_heads; ++h) {
      const int64_t g = h / c.group_size();
      const std::vector<double> p = probabilities(q, k, m, c, i, h);
      double delta = 0.0;
      for (int64_t j = 0; j < m.width(); ++j) {
        if (!m(i, j)) continue;
        double dj = 0.0;
        for (int64_t d = 0; d < D; ++d) {
          dj += std::fabs(q[i * c.q_dim() + h * D + d]) * (u * std::fabs(k[j * c.kv_dim() + g * D + d]) + eta);
        }
        delta = std::max(delta, dj / std::sqrt(double(D)));
      }
      for (int64_t j = 0; j < m.width(); ++j) {
        for (int64_t d = 0; d < D; ++d) {
          const double x = std::fabs(v[j * c.kv_dim() + g * D + d]);
          bound[i * c.q_dim() + h * D + d] += std::expm1(2 * delta) * p[j] * ((1 + u) * x + eta) + p[j] * (u * x + eta);
        }
      }
    }
  }
  return bound;
}

// Rows [width, kv_dim] as attention reads them: row j of KV head g at element j * kv_dim + g * head_dim.
KvRows token_major(const void* keys, const void* values, DType dtype, const ModelConfig& c) {
  return {keys, values, dtype, c.kv_dim(), c.head_dim};
}

// Keys and values stored as `dtype` (F32 or F16), rounded from fp32 as KvCache::write does.
struct StoredRows {
  StoredRows(const std::vector<float>& k, const std::vector<float>& v, DType type) : dtype(type) {
    const auto n = static_cast<int64_t>(k.size());
    keys.resize(storage_bytes(type, n));
    values.resize(keys.size());
    encode(type, k.data(), n, keys.data());
    encode(type, v.data(), n, values.data());
  }
  KvRows rows(const ModelConfig& c) const { return token_major(keys.data(), values.data(), dtype, c); }
  // The stored rows widened back to fp32 (exact).
  std::vector<float> widened(const std::vector<std::byte>& stored) const {
    std::vector<float> out(stored.size() / (dtype == DType::F32 ? 4 : 2));
    dequantize(dtype, stored.data(), static_cast<int64_t>(out.size()), out.data());
    return out;
  }
  std::vector<std::byte> keys, values;
  DType dtype;
};

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
      masked_attention(q.data(), token_major(k.data(), v.data(), DType::F32, c), m, c, out.data(), pool);
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
  const auto q = random_values(n * c.q_dim(), 4);
  for (DType type : {DType::F32, DType::F16}) {
    const StoredRows kv(random_values(all.width() * c.kv_dim(), 5), random_values(all.width() * c.kv_dim(), 6), type);
    std::vector<float> batch(static_cast<std::size_t>(n * c.q_dim()));
    masked_attention(q.data(), kv.rows(c), all, c, batch.data(), pool);
    for (int64_t i = 0; i < n; ++i) {  // row i alone: the cache holds everything before it
      const AttentionMask one = AttentionMask::causal(past + i, 1);
      std::vector<float> alone(static_cast<std::size_t>(c.q_dim()));
      masked_attention(q.data() + i * c.q_dim(), kv.rows(c), one, c, alone.data(), pool);
      EXPECT_EQ(std::memcmp(alone.data(), batch.data() + i * c.q_dim(), alone.size() * sizeof(float)), 0)
          << dtype_info(type).name << " row " << i;
    }
  }
}

// On every ISA and head size: the fp16 kernels return the fp32 kernels' bits over the widened rows,
// and stay within the bound above of the exact formula over the unrounded rows.
TEST(MaskedAttention, Fp16CacheHasTheBitsOfItsWidenedRowsAndStaysWithinItsBound) {
  const KernelIsa saved = active_kernel_isa();
  ThreadPool pool(2);
  for (KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512}) {
    if (!kernel_isa_supported(isa)) continue;
    set_kernel_isa(isa);
    for (int64_t head_dim : {8, 64, 72, 128}) {
      const ModelConfig c = gqa_config(head_dim);
      const int64_t past = 37, n = 11;
      const AttentionMask m = sparse_mask(past, n);
      auto q = random_values(n * c.q_dim(), 7), k = random_values(m.width() * c.kv_dim(), 8);
      const auto v = random_values(m.width() * c.kv_dim(), 9);
      for (float& x : q) x *= 3.f;  // sharper softmax: the scores' error matters more
      const StoredRows half(k, v, DType::F16);
      const std::vector<float> wide_k = half.widened(half.keys), wide_v = half.widened(half.values);
      std::vector<float> got(static_cast<std::size_t>(n * c.q_dim())), wide(got.size());
      masked_attention(q.data(), half.rows(c), m, c, got.data(), pool);
      masked_attention(q.data(), token_major(wide_k.data(), wide_v.data(), DType::F32, c), m, c, wide.data(), pool);
      ASSERT_EQ(std::memcmp(got.data(), wide.data(), got.size() * sizeof(float)), 0)
          << kernel_isa_name(isa) << " head_dim " << head_dim;
      const std::vector<double> want = reference(q, k, v, m, c), bound = fp16_cache_bound(q, k, v, m, c);
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], bound[i] + 2e-5) << kernel_isa_name(isa) << " head_dim " << head_dim << " output " << i;
      }
    }
  }
  set_kernel_isa(saved);
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
    segments.push_back({q[s].data(), token_major(k[s].data(), v[s].data(), DType::F32, c), &masks[s], batch[s].data()});
  }
  masked_attention(segments, c, pool);
  for (std::size_t s = 0; s < past.size(); ++s) {
    std::vector<float> alone(batch[s].size());
    masked_attention(q[s].data(), token_major(k[s].data(), v[s].data(), DType::F32, c), masks[s], c, alone.data(), pool);
    EXPECT_EQ(std::memcmp(alone.data(), batch[s].data(), alone.size() * sizeof(float)), 0) << "segment " << s;
  }
}

}  // namespace
}  // namespace eaglerun
