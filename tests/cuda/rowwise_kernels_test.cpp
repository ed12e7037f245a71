// rmsnorm, softmax_rows and argmax_rows (emulated) against the CPU ops of core/kernels/ops.h.
// Tolerances (what a GPU may differ by; the emulation, with the host's libm, is usually exact):
//   rmsnorm: 2 ulps. The sum of squares is in double on both, in a different order: its float
//     rounding can differ by 1 ulp, which moves the scale by at most 1 ulp and the output by 2.
//   softmax: 4 ulps. CUDA's expf is within 2 ulps (glibc's within 1); the double sum and the
//     single rounding of 1/sum add at most 1 more.
//   argmax: exact (the same index, lowest among ties).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/backend/cuda/kernels.h"
#include "core/error.h"
#include "core/kernels/ops.h"
#include "tests/cuda/compare.h"
#include "tests/cuda/schedules.h"

namespace eaglerun::cuda {
namespace {

using testing::expect_within_ulps;
using testing::in_every_schedule;
using testing::random_floats;

struct Shape {
  int64_t n;
  int64_t cols;
};
// One element, fewer than a warp, not a multiple of 32, more than a block's threads, and n > 1.
const Shape shapes[] = {{1, 1}, {1, 5}, {3, 33}, {2, 300}, {4, 1000}, {2, 2049}};

TEST(CudaRmsnorm, MatchesTheCpu) {
  for (const Shape s : shapes) {
    SCOPED_TRACE(std::to_string(s.n) + " x " + std::to_string(s.cols));
    const std::vector<float> x = random_floats(s.n * s.cols, -3.0f, 3.0f, 1);
    const std::vector<float> weight = random_floats(s.cols, 0.5f, 1.5f, 2);
    std::vector<float> expected(x.size());
    eaglerun::rmsnorm(x.data(), weight.data(), s.n, s.cols, 1e-5f, expected.data());
    in_every_schedule([&] {
      std::vector<float> out(x.size());
      rmsnorm(x.data(), weight.data(), s.n, s.cols, 1e-5f, out.data(), nullptr);
      expect_within_ulps(out, expected, 2);
      std::vector<float> in_place = x;  // x and out may alias
      rmsnorm(in_place.data(), weight.data(), s.n, s.cols, 1e-5f, in_place.data(), nullptr);
      expect_within_ulps(in_place, expected, 2);
    });
  }
}

TEST(CudaSoftmaxRows, MatchesTheCpu) {
  for (const Shape s : shapes) {
    SCOPED_TRACE(std::to_string(s.n) + " x " + std::to_string(s.cols));
    const std::vector<float> x = random_floats(s.n * s.cols, -20.0f, 20.0f, 3);
    std::vector<float> expected = x;
    for (int64_t i = 0; i < s.n; ++i) eaglerun::softmax(expected.data() + i * s.cols, s.cols);
    in_every_schedule([&] {
      std::vector<float> out = x;
      softmax_rows(out.data(), s.n, s.cols, nullptr);
      expect_within_ulps(out, expected, 4);
    });
  }
}

// The CPU's argmax of every row.
std::vector<int32_t> cpu_argmax_rows(const std::vector<float>& x, int64_t n, int64_t cols) {
  std::vector<int32_t> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(eaglerun::argmax(x.data() + i * cols, cols));
  return out;
}

TEST(CudaArgmaxRows, MatchesTheCpuOnRandomRows) {
  for (const Shape s : shapes) {
    SCOPED_TRACE(std::to_string(s.n) + " x " + std::to_string(s.cols));
    const std::vector<float> x = random_floats(s.n * s.cols, -5.0f, 5.0f, 4);
    in_every_schedule([&] {
      std::vector<int32_t> out(s.n, -1);
      argmax_rows(x.data(), s.n, s.cols, out.data(), nullptr);
      EXPECT_EQ(out, cpu_argmax_rows(x, s.n, s.cols));
    });
  }
}

TEST(CudaArgmaxRows, TiesInfinitiesAndNansAsTheCpu) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int64_t cols = 700;
  std::vector<float> x(6 * cols, 0.0f);
  // row 0: the maximum 3.0 at 650, 100, 400 (lowest wins: 100); row 1: all -inf (0);
  // row 2: NaN everywhere but 2.0 at 500 (500); row 3: all NaN (0); row 4: +inf at 699 and 3;
  // row 5: the maximum only at the first and last columns.
  x[650] = x[100] = x[400] = 3.0f;
  std::fill(x.begin() + cols, x.begin() + 2 * cols, -inf);
  std::fill(x.begin() + 2 * cols, x.begin() + 4 * cols, nan);
  x[2 * cols + 500] = 2.0f;
  x[4 * cols + 699] = x[4 * cols + 3] = inf;
  x[5 * cols] = x[5 * cols + cols - 1] = 1.0f;
  const std::vector<int32_t> expected = cpu_argmax_rows(x, 6, cols);
  EXPECT_EQ(expected, (std::vector<int32_t>{100, 0, 500, 0, 3, 0}));
  in_every_schedule([&] {
    std::vector<int32_t> out(6, -1);
    argmax_rows(x.data(), 6, cols, out.data(), nullptr);
    EXPECT_EQ(out, expected);
  });
}

TEST(CudaRowwiseKernels, RefuseEmptyShapes) {
  std::vector<float> x(4);
  std::vector<int32_t> index(4);
  EXPECT_THROW(rmsnorm(x.data(), x.data(), 0, 4, 1e-5f, x.data(), nullptr), Error);
  EXPECT_THROW(rmsnorm(x.data(), x.data(), 1, -1, 1e-5f, x.data(), nullptr), Error);
  EXPECT_THROW(softmax_rows(x.data(), 1, 0, nullptr), Error);
  EXPECT_THROW(softmax_rows(x.data(), -2, 4, nullptr), Error);
  EXPECT_THROW(argmax_rows(x.data(), 0, 4, index.data(), nullptr), Error);
  EXPECT_THROW(argmax_rows(x.data(), 1, 0, index.data(), nullptr), Error);
}

}  // namespace
}  // namespace eaglerun::cuda
