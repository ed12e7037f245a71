#pragma once
// Central finite differences in double for the gradient tests.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace eaglerun::train::test {

inline std::vector<double> random_doubles(int64_t n, uint64_t seed, double scale = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, scale);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = normal(rng);
  return v;
}

// Checks analytic[i] against (f(x + h e_i) - f(x - h e_i)) / 2h for `coords` random i (all when
// coords <= 0 or >= x.size()). f reads x, which is perturbed in place and restored. The largest
// |analytic - numeric| / max(1, |numeric|) seen is kept in *max_error.
inline void expect_gradient(const std::string& what, std::vector<double>& x, const std::vector<double>& analytic,
                            const std::function<double()>& f, int coords = 0, uint64_t seed = 1,
                            double h = 1e-6, double tol = 1e-6, double* max_error = nullptr) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  std::vector<std::size_t> idx;
  if (coords <= 0 || static_cast<std::size_t>(coords) >= x.size()) {
    for (std::size_t i = 0; i < x.size(); ++i) idx.push_back(i);
  } else {
    std::mt19937_64 rng(seed);
    for (int c = 0; c < coords; ++c) idx.push_back(rng() % x.size());
  }
  for (std::size_t i : idx) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const double fp = f();
    x[i] = x0 - h;
    const double fm = f();
    x[i] = x0;
    const double numeric = (fp - fm) / (2 * h);
    const double scale = std::max(1.0, std::abs(numeric));
    EXPECT_NEAR(analytic[i], numeric, tol * scale) << what << "[" << i << "]";
    if (max_error) *max_error = std::max(*max_error, std::abs(analytic[i] - numeric) / scale);
  }
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace eaglerun::train::test
