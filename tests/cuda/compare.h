#pragma once
// Comparing kernel outputs with the CPU reference: distances in units in the last place, and inputs.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace eaglerun::cuda::testing {

// Floats between a and b, counting across zero (0 for equal values, also +0 and -0); both NaN: 0.
inline int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : INT64_MAX;
  auto ordered = [](float f) {
    const auto bits = static_cast<int64_t>(std::bit_cast<int32_t>(f));
    return bits < 0 ? INT64_C(-2147483648) - bits : bits;
  };
  const int64_t d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

// Every got[i] within max_ulps of expected[i].
inline void expect_within_ulps(const std::vector<float>& got, const std::vector<float>& expected, int64_t max_ulps) {
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_LE(ulp_distance(got[i], expected[i]), max_ulps) << "at " << i << ": " << got[i] << " vs " << expected[i];
  }
}

// n values uniform in [lo, hi), from a fixed seed.
inline std::vector<float> random_floats(std::size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> uniform(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = uniform(random);
  return v;
}

}  // namespace eaglerun::cuda::testing
