// The AVX2 and AVX-512 attention loops against their one specification, bit for bit: a scalar
// model of the arithmetic kernels_avx512_attention.cpp and kernels_avx2_attention.cpp document
// (the AVX2 kernel holds each 16-lane vector as two 8-lane halves), written from that description. Scores: per
// head and key, lane l = q[l] k[l] (a product), then fma(q[16 v + l], k[16 v + l], lane l) for
// v = 1, 2, ...; the 16 lanes summed by halving (8, 4, 2, 1); times the scale. Mix: each output
// element from 0 by fma(score, value, out) over the visible keys in order. fp16 rows widened
// exactly. Every head count, head size, key count (tails of the 16- and 32-key blocks) and cache
// type must give the model's bits: the kernels may change how they are scheduled, never this.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/kernels/attention_kernels.h"
#include "core/kernels/kernel_isa.h"
#include "core/kernels/matmul.h"
#include "tests/kernels/isa_scope.h"

namespace eaglerun {
namespace {

float spec_score(const float* q, const float* k, int64_t d, float scale) {
  float lane[16];
  for (int l = 0; l < 16; ++l) lane[l] = q[l] * k[l];
  for (int64_t v = 1; v < d / 16; ++v) {
    for (int l = 0; l < 16; ++l) lane[l] = std::fma(q[16 * v + l], k[16 * v + l], lane[l]);
  }
  for (int w = 8; w > 0; w /= 2) {
    for (int l = 0; l < w; ++l) lane[l] = lane[l] + lane[l + w];
  }
  return lane[0] * scale;
}

void check_isa(KernelIsa isa) {
  test::IsaScope scope(isa);
  SCOPED_TRACE(std::string(kernel_isa_name(isa)));
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t rows = 400;  // the visible keys below skip every third row: 250 of them reach row 374
  for (DType kv_type : {DType::F32, DType::F16}) {
    for (int64_t d : {16, 32, 48, 64, 128, 256}) {
      const int64_t stride = d + 16;  // rows further apart than d, as in a cache of several heads
      std::vector<float> keys(rows * stride), values(rows * stride);
      for (float& v : keys) v = normal(rng);
      for (float& v : values) v = normal(rng);
      std::vector<uint16_t> keys16(keys.size()), values16(values.size());
      for (std::size_t i = 0; i < keys.size(); ++i) {
        keys16[i] = fp32_to_fp16(keys[i]);
        values16[i] = fp32_to_fp16(values[i]);
        if (kv_type == DType::F16) keys[i] = fp16_to_fp32(keys16[i]), values[i] = fp16_to_fp32(values16[i]);
      }
      for (int64_t G : {1, 2, 3, 5, 9}) {
        for (int64_t n : {1, 5, 16, 17, 31, 32, 33, 80, 250}) {
          std::vector<int64_t> visible;
          for (int64_t j = 0; static_cast<int64_t>(visible.size()) < n; j += 1 + (j % 3 == 1)) visible.push_back(j);
          std::vector<float> q(G * d), scores(G * n), out(G * d);
          for (float& v : q) v = normal(rng);
          const float scale = 1.0f / std::sqrt(static_cast<float>(d));
          const void* k = kv_type == DType::F16 ? static_cast<const void*>(keys16.data()) : keys.data();
          const void* v = kv_type == DType::F16 ? static_cast<const void*>(values16.data()) : values.data();
          const AttentionHeadsArgs a{q.data(), G, k, v, kv_type, visible.data(), n, stride, d, scale, scores.data(),
                                     out.data()};
          attention_scores(a);
          for (int64_t g = 0; g < G; ++g) {
            for (int64_t t = 0; t < n; ++t) {
              const float want = spec_score(q.data() + g * d, keys.data() + visible[t] * stride, d, scale);
              ASSERT_EQ(std::bit_cast<uint32_t>(scores[g * n + t]), std::bit_cast<uint32_t>(want))
                  << dtype_info(kv_type).name << " d=" << d << " G=" << G << " n=" << n << " head " << g << " key " << t;
            }
          }
          for (float& s : scores) s = std::fabs(normal(rng)) * 0.01f;  // any weights do for the mix
          attention_mix(a);
          for (int64_t g = 0; g < G; ++g) {
            for (int64_t i = 0; i < d; ++i) {
              float want = 0.0f;
              for (int64_t t = 0; t < n; ++t) want = std::fma(scores[g * n + t], values[visible[t] * stride + i], want);
              ASSERT_EQ(std::bit_cast<uint32_t>(out[g * d + i]), std::bit_cast<uint32_t>(want))
                  << dtype_info(kv_type).name << " d=" << d << " G=" << G << " n=" << n << " head " << g << " element " << i;
            }
          }
        }
      }
    }
  }
}

TEST(AttentionVectorSpec, ScoresAndMixHaveTheBitsOfTheSpecifiedArithmetic) {
  bool any = false;
  for (KernelIsa isa : {KernelIsa::Avx2, KernelIsa::Avx512}) {
    if (!kernel_isa_supported(isa)) continue;
    any = true;
    check_isa(isa);
    if (HasFatalFailure()) return;
  }
  if (!any) GTEST_SKIP() << "neither AVX2 nor AVX-512 on this CPU";
}

// attention_softmax (every ISA): exp(s - max) / sum with max from a left-to-right scan, exp as
// std::exp, the sum in 16 lanes (t in lane t % 16) combined by halving. Its maximum is found in
// lanes too; the bits must not change, zero maxima (of either sign) included.
TEST(AttentionSoftmax, HasTheBitsOfTheScanFormulaOnEveryIsa) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  for (KernelIsa isa : test::supported_isas()) {
    test::IsaScope scope(isa);
    for (int64_t n : {1, 2, 15, 16, 17, 80, 333}) {
      for (int variant = 0; variant < 4; ++variant) {
        std::vector<float> s(n);
        for (float& v : s) v = normal(rng);
        if (variant == 1) {
          for (float& v : s) v = -std::fabs(v);  // all below zero, and zeros of both signs
          s[0] = -0.0f;
          if (n > 3) s[n / 2] = 0.0f, s[n - 1] = -0.0f;
        }
        if (variant == 2) {
          for (std::size_t i = 0; i < s.size(); i += 3) s[i] = -INFINITY;  // masked-out style scores
        }
        if (variant == 3) s.assign(n, -0.0f);
        float max_score = -INFINITY;
        for (float v : s) max_score = std::max(max_score, v);
        std::vector<float> want(n);
        float lanes[16] = {};
        for (int64_t t = 0; t < n; ++t) {
          want[t] = std::exp(s[t] - max_score);
          lanes[t % 16] += want[t];
        }
        for (int w = 8; w > 0; w /= 2) {
          for (int l = 0; l < w; ++l) lanes[l] += lanes[l + w];
        }
        const float inv = 1.f / lanes[0];
        for (float& v : want) v *= inv;
        std::vector<float> got = s;
        attention_softmax(got.data(), n);
        for (int64_t t = 0; t < n; ++t) {
          ASSERT_EQ(std::bit_cast<uint32_t>(got[t]), std::bit_cast<uint32_t>(want[t]))
              << kernel_isa_name(isa) << " n=" << n << " variant " << variant << " t=" << t;
        }
      }
    }
  }
}

}  // namespace
}  // namespace eaglerun
