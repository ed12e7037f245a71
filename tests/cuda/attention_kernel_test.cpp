// masked_attention (emulated) against the CPU's (core/backend/masked_attention.h): GQA, causal and tree masks,
// F32 and F16 caches, odd head sizes.
// Tolerance: |gpu - cpu| <= (head_dim + width) * 2^-21 * max|v| per output element. Both evaluate the
// same fp32 formula in different orders (the GPU sums each dot product across lanes and runs an
// online softmax). With |q|, |k| <= 1 and scale = 1/sqrt(head_dim), a score's rounding error is at
// most about head_dim * 2^-24 * sqrt(head_dim) in the worst case; the softmax and the weighted sum
// of width rows add about width * 2^-24 relative to max|v|; a factor of 8 covers the exp() calls and
// the final division. The observed differences are far smaller.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/backend/cuda/kernels.h"
#include "core/error.h"
#include "core/kernels/thread_pool.h"
#include "core/backend/masked_attention.h"
#include "core/model/kv_cache.h"
#include "tests/cuda/compare.h"
#include "tests/cuda/schedules.h"

namespace eaglerun::cuda {
namespace {

using testing::in_every_schedule;
using testing::random_floats;

struct Heads {
  int64_t n_heads;
  int64_t n_kv_heads;
  int64_t head_dim;
};

// Cached rows all visible; new token k sees itself and, when `tree`, each earlier new token with
// probability 1/2 (a draft tree's ancestors), else every earlier new token (causal). Row `blind` (if
// >= 0) sees nothing.
AttentionMask make_mask(int64_t n_past, int64_t n_new, bool tree, int64_t blind, uint32_t seed) {
  AttentionMask mask = AttentionMask::causal(n_past, n_new);
  std::mt19937 random(seed);
  for (int64_t i = 0; i < n_new; ++i) {
    for (int64_t k = 0; k < i; ++k) {
      if (tree) mask.set(i, n_past + k, random() % 2 == 0);
    }
  }
  if (blind >= 0) std::fill_n(mask.allowed.begin() + blind * mask.width(), mask.width(), uint8_t{0});
  return mask;
}

void check_attention(const Heads& heads, DType dtype, int64_t n_past, int64_t n_new, bool tree, int64_t blind) {
  SCOPED_TRACE(std::string(dtype_info(dtype).name) + " heads " + std::to_string(heads.n_heads) + "/" +
               std::to_string(heads.n_kv_heads) + " dim " + std::to_string(heads.head_dim) + " past " +
               std::to_string(n_past) + " new " + std::to_string(n_new) + (tree ? " tree" : " causal"));
  ModelConfig config;
  config.n_heads = heads.n_heads;
  config.n_kv_heads = heads.n_kv_heads;
  config.head_dim = heads.head_dim;
  config.hidden_size = heads.n_heads * heads.head_dim;
  const int64_t capacity = 64;
  const AttentionMask mask = make_mask(n_past, n_new, tree, blind, 21);
  const int64_t width = mask.width();
  const int64_t kv_dim = heads.n_kv_heads * heads.head_dim;
  const int64_t q_dim = heads.n_heads * heads.head_dim;
  KvCache cache(1, heads.n_kv_heads, heads.head_dim, capacity, dtype);
  const std::vector<float> k = random_floats(width * kv_dim, -1.0f, 1.0f, 22);
  const std::vector<float> v = random_floats(width * kv_dim, -1.0f, 1.0f, 23);
  cache.write(0, 0, k.data(), v.data(), width);
  const std::vector<float> q = random_floats(n_new * q_dim, -1.0f, 1.0f, 24);
  std::vector<float> expected(n_new * q_dim);
  ThreadPool pool(1);
  eaglerun::masked_attention(q.data(), cache.layer(0), mask, config, expected.data(), pool);
  float max_v = 0.0f;
  for (const float x : v) max_v = std::max(max_v, std::fabs(x));
  const float bound = std::ldexp(static_cast<float>(heads.head_dim + width) * max_v, -21);
  const KvRows rows = cache.layer(0);
  const KvLayer layer{const_cast<void*>(rows.keys), const_cast<void*>(rows.values), heads.n_kv_heads, capacity,
                      heads.head_dim, dtype};
  in_every_schedule([&] {
    std::vector<float> out(n_new * q_dim, -9.0f);
    masked_attention(q.data(), layer, mask.allowed.data(), n_new, width, heads.n_heads, out.data(), nullptr);
    for (std::size_t e = 0; e < out.size(); ++e) {
      ASSERT_LE(std::fabs(out[e] - expected[e]), bound) << "element " << e << ": " << out[e] << " vs " << expected[e];
    }
  });
}

TEST(CudaMaskedAttention, MatchesTheCpu) {
  const Heads shapes[] = {{1, 1, 5}, {6, 2, 64}, {3, 3, 130}, {4, 2, 256}};
  for (const DType dtype : {DType::F32, DType::F16}) {
    for (const Heads& heads : shapes) {
      check_attention(heads, dtype, 0, 1, false, -1);   // the first token alone
      check_attention(heads, dtype, 0, 5, false, -1);   // a causal prompt
      check_attention(heads, dtype, 7, 1, false, -1);   // one decode step
      check_attention(heads, dtype, 40, 6, true, -1);   // a draft tree over a cached prefix
    }
  }
}

TEST(CudaMaskedAttention, ATokenThatSeesNothingGetsZerosAsOnTheCpu) {
  check_attention({2, 1, 8}, DType::F32, 3, 4, true, 2);
}

TEST(CudaMaskedAttention, RefusesBadShapes) {
  std::vector<float> buffer(4 * 8 * 16);
  std::vector<float> q(64);
  std::vector<uint8_t> mask(64, 1);
  const KvLayer layer{buffer.data(), buffer.data(), 2, 8, 16, DType::F32};
  EXPECT_THROW(masked_attention(q.data(), layer, mask.data(), 0, 4, 4, q.data(), nullptr), Error);
  EXPECT_THROW(masked_attention(q.data(), layer, mask.data(), 5, 4, 4, q.data(), nullptr), Error);   // n_new > width
  EXPECT_THROW(masked_attention(q.data(), layer, mask.data(), 1, 9, 4, q.data(), nullptr), Error);   // > capacity
  EXPECT_THROW(masked_attention(q.data(), layer, mask.data(), 1, 4, 3, q.data(), nullptr), Error);   // 3 % 2 heads
  KvLayer wide = layer;
  wide.head_dim = 300;
  EXPECT_THROW(masked_attention(q.data(), wide, mask.data(), 1, 4, 4, q.data(), nullptr), Error);
}

}  // namespace
}  // namespace eaglerun::cuda
