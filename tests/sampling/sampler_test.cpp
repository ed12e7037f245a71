#include "core/sampling/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"

namespace eaglerun {
namespace {

const std::vector<float> kLogits = {2.0f, 1.0f, 0.5f, 3.0f, -1.0f, 0.0f};

std::vector<double> softmax_of(const std::vector<float>& logits, double temperature) {
  std::vector<double> p(logits.size());
  double sum = 0;
  for (std::size_t i = 0; i < p.size(); ++i) sum += (p[i] = std::exp(logits[i] / temperature));
  for (double& v : p) v /= sum;
  return p;
}

TEST(Sampler, GreedyIsArgmax) {
  Sampler s({});
  EXPECT_EQ(s.sample(kLogits), 3);
  const std::vector<float> d = s.distribution(kLogits);
  EXPECT_EQ(d[3], 1.f);
}

TEST(Sampler, TemperatureDistributionIsSoftmaxOfScaledLogits) {
  Sampler s({.temperature = 0.7f});
  const std::vector<float> d = s.distribution(kLogits);
  const std::vector<double> want = softmax_of(kLogits, 0.7);
  for (std::size_t i = 0; i < d.size(); ++i) EXPECT_NEAR(d[i], want[i], 1e-6);
}

TEST(Sampler, TopKKeepsTheKMostLikely) {
  Sampler s({.temperature = 1.f, .top_k = 2});
  const std::vector<float> d = s.distribution(kLogits);
  const double z = std::exp(3.0) + std::exp(2.0);
  EXPECT_NEAR(d[3], std::exp(3.0) / z, 1e-6);
  EXPECT_NEAR(d[0], std::exp(2.0) / z, 1e-6);
  for (int i : {1, 2, 4, 5}) EXPECT_EQ(d[i], 0.f);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  const std::vector<double> p = softmax_of(kLogits, 1.0);  // order: 3, 0, 1, 2, 5, 4
  const double top2 = p[3] + p[0];
  // A threshold just below the mass of the top 2 keeps exactly those two.
  Sampler s({.temperature = 1.f, .top_p = static_cast<float>(top2 - 1e-3)});
  const std::vector<float> d = s.distribution(kLogits);
  EXPECT_NEAR(d[3], p[3] / top2, 1e-6);
  EXPECT_NEAR(d[0], p[0] / top2, 1e-6);
  EXPECT_EQ(d[1], 0.f);
  // Just above it brings in the third.
  Sampler s3({.temperature = 1.f, .top_p = static_cast<float>(top2 + 1e-3)});
  EXPECT_GT(s3.distribution(kLogits)[1], 0.f);
}

TEST(Sampler, SameSeedSameTokensAndFrequenciesFollowTheDistribution) {
  const SamplingParams params{.temperature = 1.f, .seed = 42};
  Sampler a(params), b(params);
  std::vector<int> counts(kLogits.size(), 0);
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) {
    const int32_t t = a.sample(kLogits);
    ASSERT_EQ(t, b.sample(kLogits));
    ++counts[t];
  }
  const std::vector<double> p = softmax_of(kLogits, 1.0);
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double sd = std::sqrt(p[i] * (1 - p[i]) / draws);
    EXPECT_NEAR(counts[i] / double(draws), p[i], 5 * sd + 1e-4) << "token " << i;
  }
}

TEST(Sampler, RejectsBadParameters) {
  EXPECT_THROW(Sampler({.temperature = -1.f}), Error);
  EXPECT_THROW(Sampler({.temperature = 1.f, .top_p = 0.f}), Error);
  EXPECT_THROW(Sampler({.temperature = 1.f, .top_k = -2}), Error);
}

}  // namespace
}  // namespace eaglerun
