// The sampler against the reference it replaced (reference_sampler.h): the same distribution bit for
// bit and the same token for the same seed, on thousands of logit vectors, on every kernel ISA this
// CPU has; and its vector exp against std::exp.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <iostream>
#include <limits>
#include <numeric>
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/kernels/exp_kernels.h"
#include "core/kernels/kernel_isa.h"
#include "core/kernels/sampling_kernels.h"
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

enum class Shape { Normal, Wide, Peaked, Ties, NegInf, Flat, LanguageModel };

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
      // A language model's logits: a long tail far below a few strong candidates (the shape where
      // the rank-order mass needs its radix sort, with many half-ulp ties and a binade crossing).
      case Shape::LanguageModel: v = -8.f + 3.f * normal(rng) - 2.f * std::abs(normal(rng)); break;
    }
  }
  if (shape == Shape::Peaked) l[rng() % V] = 18.f;
  if (shape == Shape::NegInf) l[rng() % V] = 1.f;  // at least one finite
  if (shape == Shape::LanguageModel)
    for (int j = 0; j < 6; ++j) l[rng() % V] = 14.f + 2.f * normal(rng);
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
      for (Shape shape : {Shape::Normal, Shape::Wide, Shape::Peaked, Shape::Ties, Shape::NegInf, Shape::Flat,
                          Shape::LanguageModel}) {
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
  for (int rep = 0; rep < 70; ++rep) {
    const auto shape = rep % 7 == 5 ? Shape::LanguageModel : static_cast<Shape>(rep % 7 == 6 ? 0 : rep % 7);
    const std::vector<float> logits = make_logits(shape, 49152, rng);
    for (const SamplingParams& params : {SamplingParams{.temperature = 1.f, .seed = rng()},
                                         SamplingParams{.temperature = 0.7f, .top_p = 0.95f, .seed = rng()},
                                         SamplingParams{.temperature = 1.f, .top_k = 5000, .top_p = 0.5f, .seed = rng()}}) {
      expect_same(logits, params, describe(shape, 49152, params));
      if (HasFatalFailure()) return;
    }
  }
}

TEST(SamplerFast, UntruncatedSamplingSkipsTheRankOrderMassAndDrawsTheSame) {
  // Without truncation, sample() draws from q computed with a bounded mass; on language-model logits
  // (where the rank-order mass needs the radix sort) it must give the reference's tokens for many
  // seeds without that sort, on every ISA. top-p 0.9 also cuts with the bounded mass.
  std::mt19937_64 rng(31);
  uint64_t radix_sorts = 0;  // by distribution(), which needs the rank-order mass on these logits
  for (KernelIsa isa : isas()) {
    IsaScope scope(isa);
    for (int rep = 0; rep < 6; ++rep) {
      const std::vector<float> logits = make_logits(Shape::LanguageModel, 49152, rng);
      sampling_detail::fallback_counts() = {};
      Sampler({.temperature = 1.f}).distribution(logits);
      radix_sorts += sampling_detail::fallback_counts().small_radix;
      for (const SamplingParams& params : {SamplingParams{.temperature = 1.f, .seed = rng()},
                                           SamplingParams{.temperature = 0.8f, .top_p = 0.9f, .seed = rng()}}) {
        reference::Sampler ref(params);
        Sampler fast(params);
        sampling_detail::fallback_counts() = {};
        for (int k = 0; k < 40; ++k) ASSERT_EQ(ref.sample(logits), fast.sample(logits)) << rep << " draw " << k;
        EXPECT_EQ(sampling_detail::fallback_counts().small_radix, 0u) << kernel_isa_name(isa);
        EXPECT_EQ(sampling_detail::fallback_counts().approximate_mass, 0u) << kernel_isa_name(isa);
      }
    }
  }
  EXPECT_GT(radix_sorts, 0u) << "the logits should be ones where the exact mass is costly";
}

TEST(SamplerFast, DistributionWithinUlpSkipsTheRankOrderMassAndStaysWithinOneUlp) {
  // What tree verification at T > 0 uses: on language-model logits (where distribution() needs its
  // radix sort) every entry equals distribution()'s or is the adjacent float, with no sort; with
  // top-p it is distribution() bit for bit.
  std::mt19937_64 rng(57);
  for (KernelIsa isa : isas()) {
    IsaScope scope(isa);
    int64_t differ = 0;
    for (int rep = 0; rep < 6; ++rep) {
      const std::vector<float> logits = make_logits(Shape::LanguageModel, 49152, rng);
      for (const SamplingParams& params : {SamplingParams{.temperature = 1.f}, SamplingParams{.temperature = 0.7f},
                                           SamplingParams{.temperature = 1.f, .top_p = 0.9f}}) {
        const Sampler sampler(params);
        const std::vector<float> want = sampler.distribution(logits);
        std::vector<float> got(logits.size());
        sampling_detail::fallback_counts() = {};
        sampler.distribution_within_ulp(logits, got);
        if (params.top_p == 1.f) {
          EXPECT_EQ(sampling_detail::fallback_counts().small_radix, 0u) << kernel_isa_name(isa);
        }
        for (std::size_t i = 0; i < got.size(); ++i) {
          const int64_t ulps = std::abs(static_cast<int64_t>(std::bit_cast<uint32_t>(got[i])) -
                                        static_cast<int64_t>(std::bit_cast<uint32_t>(want[i])));
          ASSERT_LE(ulps, params.top_p == 1.f ? 1 : 0) << kernel_isa_name(isa) << " token " << i << ": " << got[i]
                                                      << " vs " << want[i] << " (T " << params.temperature << ")";
          differ += ulps;
        }
      }
    }
    std::cout << "[ within ulp ] " << kernel_isa_name(isa) << ": " << differ << " entries one ulp apart\n";
  }
}

TEST(SamplerFast, DistributionOverADraftVocabularyEqualsTheWholeOne) {
  // Logits -inf outside a draft vocabulary (given most frequent first, not by id): the distribution
  // from the vocabulary's logits alone has the bits of the whole computation, with and without
  // truncation; logits finite outside it take the whole computation.
  std::mt19937_64 rng(12);
  for (int rep = 0; rep < 12; ++rep) {
    const int64_t V = rep % 2 ? 49152 : 3000;
    std::vector<float> logits = make_logits(rep % 3 ? Shape::LanguageModel : Shape::Ties, V, rng);
    std::vector<int32_t> vocabulary(static_cast<std::size_t>(V));
    std::iota(vocabulary.begin(), vocabulary.end(), 0);
    std::shuffle(vocabulary.begin(), vocabulary.end(), rng);
    vocabulary.resize(static_cast<std::size_t>(V / 16));
    std::vector<float> masked(logits.size(), -std::numeric_limits<float>::infinity());
    for (int32_t t : vocabulary) masked[static_cast<std::size_t>(t)] = logits[static_cast<std::size_t>(t)];
    for (const SamplingParams& params : {SamplingParams{.temperature = 1.f}, SamplingParams{.temperature = 0.6f, .top_k = 40},
                                         SamplingParams{.temperature = 1.3f, .top_p = 0.8f},
                                         SamplingParams{.temperature = 1.f, .top_k = static_cast<int>(V / 8)}}) {
      const Sampler sampler(params);
      for (const std::vector<float>* l : {&masked, &logits}) {
        const std::vector<float> want = sampler.distribution(*l);
        const std::vector<float> got = sampler.distribution(*l, vocabulary);
        ASSERT_EQ(want.size(), got.size());
        for (std::size_t i = 0; i < want.size(); ++i)
          ASSERT_TRUE(same_bits(want[i], got[i])) << "rep " << rep << " token " << i << (l == &masked ? " masked" : " whole");
      }
    }
  }
}

TEST(SamplingKernels, EveryIsaEqualsTheScalarPasses) {
  // large_terms, small_units and divide_bounded are exact (sums of integers or of terms that add
  // exactly, min/max, IEEE divisions), so every ISA's version must give the scalar one's bits.
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  const kernels::SamplingKernels& scalar = kernels::kScalarSamplingKernels;
  for (KernelIsa isa : isas()) {
    IsaScope scope(isa);
    const kernels::SamplingKernels& k = kernels::sampling_kernels();
    for (int rep = 0; rep < 200; ++rep) {
      const int64_t n = 1 + static_cast<int64_t>(rng() % 3000);
      std::vector<float> p(static_cast<std::size_t>(n)), x(p.size());
      const float tau = std::ldexp(1.f, -29 - static_cast<int>(rng() % 3));
      for (int64_t i = 0; i < n; ++i) {
        const uint64_t r = rng() % 16;
        // Mostly terms near tau (half-ulp ties at the ulp of 2^-52), some zero or NaN, and large ones
        // as the sampler meets them: multiples of 2^-52 (floats >= 2^-31) summing below 1, so exact.
        p[i] = r == 0 ? 0.f : r == 1 ? unit(rng) / static_cast<float>(n) : r == 2 ? std::numeric_limits<float>::quiet_NaN()
               : r < 6 ? std::ldexp(std::round(unit(rng) * 64) + 0.5f, -36) : unit(rng) * tau * 2;
        x[i] = rng() % 20 == 0 ? -std::numeric_limits<float>::infinity() : 20 * unit(rng) - 10;
      }
      kernels::LargeTerms a, b;
      scalar.large_terms(p.data(), x.data(), n, tau, &a);
      k.large_terms(p.data(), x.data(), n, tau, &b);
      EXPECT_EQ(a.sum, b.sum);
      EXPECT_TRUE(same_bits(a.lowest_large_x, b.lowest_large_x));
      EXPECT_TRUE(same_bits(a.highest_small_x, b.highest_small_x));
      const double per_ulp = 0x1p52;
      std::vector<int32_t> ua(p.size()), ub(p.size());
      kernels::SmallUnits sa, sb;
      scalar.small_units(p.data(), n, tau, per_ulp, ua.data(), &sa);
      k.small_units(p.data(), n, tau, per_ulp, ub.data(), &sb);
      EXPECT_EQ(sa.units, sb.units);
      EXPECT_EQ(sa.ties, sb.ties);
      EXPECT_EQ(ua, ub);
      std::vector<float> qa(p.size()), qb(p.size());
      for (float& v : p)
        if (std::isnan(v)) v = unit(rng);  // divide_bounded sees probabilities only
      const double wa = scalar.divide_bounded(p.data(), 3.25, 1e-9, qa.data(), n);
      const double wb = k.divide_bounded(p.data(), 3.25, 1e-9, qb.data(), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(same_bits(qa[i], qb[i])) << i;
      EXPECT_NEAR(wa, wb, 1e-12 * (wa + 1e-30));
      ASSERT_FALSE(HasFailure()) << kernel_isa_name(isa) << " rep " << rep;
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
