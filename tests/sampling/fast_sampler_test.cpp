// The sampler against the reference it replaced (reference_sampler.h): the same distribution bit for
// bit and the same token for the same seed, on thousands of logit vectors, on every kernel ISA this
// CPU has; and its vector exp against std::exp.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/kernels/exp_kernels.h"
#include "core/kernels/kernel_isa.h"
#include "core/sampling/sampler.h"
#include "tests/sampling/reference_sampler.h"

namespace eaglerun {
namespace {

class IsaScope {
 public:
  explicit IsaScope(KernelIsa isa) : saved_(active_kernel_isa()) { set_kernel_isa(isa); }
  ~IsaScope() { set_kernel_isa(saved_); }

 private:
  KernelIsa saved_;
};

std::vector<KernelIsa> isas() {
  std::vector<KernelIsa> out;
  for (KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512})
    if (kernel_isa_supported(isa)) out.push_back(isa);
  return out;
}

bool same_bits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

TEST(SamplingExp, EqualsStdExpOnEveryIsa) {
  // Every 61st bit pattern of the 2^32 floats (70 million inputs), then a few shifted ones.
  for (KernelIsa isa : isas()) {
    IsaScope scope(isa);
    if (isa != KernelIsa::Scalar) {
      EXPECT_TRUE(exp_shifted_vectorised()) << kernel_isa_name(isa);
    }
    std::vector<float> x, y;
    uint64_t mismatches = 0;
    for (uint64_t start = 0; start < (1ull << 32); start += 61ull << 20) {
      x.clear();
      for (uint64_t b = start; b < std::min(start + (61ull << 20), 1ull << 32); b += 61) x.push_back(std::bit_cast<float>(uint32_t(b)));
      y.resize(x.size());
      exp_shifted(x.data(), 0.f, y.data(), static_cast<int64_t>(x.size()));
      for (std::size_t i = 0; i < x.size(); ++i) {
        const float want = std::exp(x[i]);
        if (std::isnan(want) ? !std::isnan(y[i]) : !same_bits(want, y[i])) ++mismatches;
      }
    }
    EXPECT_EQ(mismatches, 0u) << kernel_isa_name(isa);
    const float shift = 3.25f;
    x = {-200.f, -104.f, -103.5f, -90.f, -1.f, 0.f, 1.f, 3.25f, -std::numeric_limits<float>::infinity(), 5.f, 7.f, 11.f};
    y.resize(x.size());
    exp_shifted(x.data(), shift, y.data(), static_cast<int64_t>(x.size()));
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_TRUE(same_bits(y[i], std::exp(x[i] - shift))) << x[i];
  }
}

TEST(SamplingExp, StdExpIsMonotoneBelowZero) {
  // The sampler ranks by logit and sums probabilities; a std::exp that inverted the order of two inputs
  // would still be handled (ranked_sum checks), but it is worth knowing it does not (every 7th float).
  float prev = 0.f;
  for (uint32_t b = 0xc2d00000u; b >= 0x80000000u && b <= 0xc2d00000u; b -= 7) {
    const float v = std::exp(std::bit_cast<float>(b));
    ASSERT_GE(v, prev) << std::bit_cast<float>(b);
    prev = v;
  }
}

enum class Shape { Normal, Wide, Peaked, Ties, NegInf, Flat };

std::vector<float> make_logits(Shape shape, int64_t V, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> l(static_cast<std::size_t>(V));
  for (float& v : l) {
    switch (shape) {
      case Shape::Normal: v = 2.f * normal(rng); break;
      case Shape::Wide: v = 6.f * normal(rng); break;
      case Shape::Peaked: v = normal(rng); break;
      case Shape::Ties: v = std::round(2.f * normal(rng)) * 0.5f; break;
      case Shape::NegInf: v = (rng() % 4 == 0) ? -std::numeric_limits<float>::infinity() : 3.f * normal(rng); break;
      case Shape::Flat: v = 0.25f; break;
    }
  }
  if (shape == Shape::Peaked) l[rng() % V] = 18.f;
  if (shape == Shape::NegInf) l[rng() % V] = 1.f;  // at least one finite
  return l;
}

std::string describe(Shape shape, int64_t V, const SamplingParams& p) {
  return "shape " + std::to_string(int(shape)) + " V " + std::to_string(V) + " T " + std::to_string(p.temperature) +
         " top_k " + std::to_string(p.top_k) + " top_p " + std::to_string(p.top_p);
}

// Compares distribution() bit for bit and three sampled tokens for the same seed.
void expect_same(const std::vector<float>& logits, const SamplingParams& params, const std::string& what) {
  const reference::Sampler ref_const(params);
  const Sampler fast_const(params);
  const std::vector<float> want = ref_const.distribution(logits);
  const std::vector<float> got = fast_const.distribution(logits);
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    ASSERT_TRUE(same_bits(want[i], got[i])) << what << ": p[" << i << "] " << want[i] << " vs " << got[i];
  reference::Sampler ref(params);
  Sampler fast(params);
  for (int k = 0; k < 3; ++k) ASSERT_EQ(ref.sample(logits), fast.sample(logits)) << what << " draw " << k;
  for (int k = 0; k < 3; ++k) ASSERT_EQ(ref.draw(want), fast.draw(want)) << what << " draw(p) " << k;
}

TEST(SamplerFast, SameDistributionAndTokensAsTheReference) {
  std::mt19937_64 rng(2024);
  int checked = 0;
  for (KernelIsa isa : isas()) {
    IsaScope scope(isa);
    for (int64_t V : {int64_t{49152}, int64_t{1}, int64_t{2}, int64_t{7}, int64_t{100}, int64_t{1000}, int64_t{6000}}) {
      if (V == 49152 && isa != best_kernel_isa()) continue;  // the reference's sorts take seconds there
      const int repeats = V == 49152 ? 1 : V >= 1000 ? 3 : 8;
      for (Shape shape : {Shape::Normal, Shape::Wide, Shape::Peaked, Shape::Ties, Shape::NegInf, Shape::Flat}) {
        for (int rep = 0; rep < repeats; ++rep) {
          const std::vector<float> logits = make_logits(shape, V, rng);
          for (float t : {0.3f, 1.f, 1.7f})
            for (int top_k : {0, 1, 40, 1000, static_cast<int>(V)})
              for (float top_p : {0.1f, 0.9f, 1.f}) {
                const SamplingParams params{.temperature = t, .top_k = top_k, .top_p = top_p, .seed = rng()};
                expect_same(logits, params, describe(shape, V, params) + " isa " + std::string(kernel_isa_name(isa)));
                if (HasFatalFailure()) return;
                ++checked;
              }
        }
      }
    }
  }
  EXPECT_GT(checked, 3000);
}

TEST(SamplerFast, ManySeedsOnLargeVocabularies) {
  // No truncation (the default) and top-p 0.95 on full-size vocabularies: many vectors and seeds, so the
  // rank-order mass (ties, binade crossings) and the draw's bounds meet many different sums.
  std::mt19937_64 rng(77);
  for (int rep = 0; rep < 60; ++rep) {
    const auto shape = static_cast<Shape>(rep % 5);
    const std::vector<float> logits = make_logits(shape, 49152, rng);
    for (const SamplingParams& params : {SamplingParams{.temperature = 1.f, .seed = rng()},
                                         SamplingParams{.temperature = 0.7f, .top_p = 0.95f, .seed = rng()},
                                         SamplingParams{.temperature = 1.f, .top_k = 5000, .top_p = 0.5f, .seed = rng()}}) {
      expect_same(logits, params, describe(shape, 49152, params));
      if (HasFatalFailure()) return;
    }
  }
}

TEST(SamplerFast, DrawMatchesOnUnnormalisedAndSparseVectors) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  for (int rep = 0; rep < 400; ++rep) {
    const std::size_t n = 1 + rng() % 70000;
    std::vector<float> p(n, 0.f);
    const int mode = rep % 4;
    for (float& v : p) {
      if (mode == 0) v = unit(rng);
      if (mode == 1) v = rng() % 50 == 0 ? unit(rng) : 0.f;
      if (mode == 2) v = std::pow(unit(rng), 30.f) * 1e-3f;
      if (mode == 3) v = unit(rng) < 0.5f ? 1e-30f : 0.f;
    }
    if (mode == 1 || mode == 3) p[rng() % n] = 1.f;
    const uint64_t seed = rng();
    reference::Sampler ref({.temperature = 1.f, .seed = seed});
    Sampler fast({.temperature = 1.f, .seed = seed});
    for (int k = 0; k < 20; ++k) ASSERT_EQ(ref.draw(p), fast.draw(p)) << "rep " << rep << " draw " << k;
  }
  // All zero and empty.
  reference::Sampler ref({.temperature = 1.f});
  Sampler fast({.temperature = 1.f});
  const std::vector<float> zeros(1000, 0.f);
  EXPECT_EQ(ref.draw(zeros), fast.draw(zeros));
}

TEST(SamplerFast, LeftToRightSumComparison) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  for (int rep = 0; rep < 200; ++rep) {
    std::vector<float> p(1 + rng() % 5000);
    for (float& v : p) v = unit(rng) * (rep % 2 ? 1e-15f : 1.f);
    double s = 0;
    for (float v : p) s += v;
    for (double threshold : {1e-12, s, std::nextafter(s, 0.0), std::nextafter(s, 2 * s), s / 2})
      EXPECT_EQ(left_to_right_sum_exceeds(p, threshold), s > threshold);
  }
}

}  // namespace
}  // namespace eaglerun
