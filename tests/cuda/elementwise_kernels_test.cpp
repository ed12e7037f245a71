// rope, silu_mul and add_inplace (emulated) against the CPU ops of core/kernels/ops.h.
// Tolerances (what a GPU may differ by; the emulation, with the host's libm, is usually exact):
//   rope: |gpu - cpu| <= 2^-22 (|a| + |b|) for a rotated pair (a, b). cos/sin come from double
//     functions (CUDA's within 2 ulps of double) rounded to float, so rarely 1 float ulp apart
//     (2^-24 at most, |cos|, |sin| <= 1); the rotation's products and difference are float
//     operations in the CPU's order, never fused.
//   silu_mul: 4 ulps (CUDA's expf is within 2 ulps, glibc's within 1; one add, divide, multiply).
//   add_inplace: exact.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/backend/cuda/emulation/grid_runner.h"
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

struct RopeShape {
  int64_t n;
  int64_t heads;
  int64_t head_dim;
};

TEST(CudaRope, MatchesTheCpuInBothPairings) {
  const RopeShape shapes[] = {{1, 1, 2}, {3, 2, 6}, {2, 3, 64}, {5, 4, 130}, {1, 9, 128}};
  for (const RopePairing pairing : {RopePairing::Halves, RopePairing::Adjacent}) {
    for (const double theta : {10000.0, 500000.0}) {
      for (const RopeShape s : shapes) {
        SCOPED_TRACE(std::to_string(s.n) + " x " + std::to_string(s.heads) + " x " + std::to_string(s.head_dim) +
                     (pairing == RopePairing::Halves ? " halves" : " adjacent") + " theta " + std::to_string(theta));
        const std::vector<float> x = random_floats(s.n * s.heads * s.head_dim, -4.0f, 4.0f, 5);
        std::vector<int32_t> positions(s.n);
        for (int64_t i = 0; i < s.n; ++i) positions[i] = static_cast<int32_t>((i * 1237 + 3) % 9000);
        std::vector<float> expected = x;
        eaglerun::rope(expected.data(), positions.data(), s.n, s.heads, s.head_dim, theta, pairing);
        in_every_schedule([&] {
          std::vector<float> out = x;
          rope(out.data(), positions.data(), s.n, s.heads, s.head_dim, theta, pairing, nullptr);
          const int64_t half = s.head_dim / 2;
          for (int64_t row = 0; row < s.n * s.heads; ++row) {
            for (int64_t j = 0; j < half; ++j) {
              const int64_t a = row * s.head_dim + (pairing == RopePairing::Halves ? j : 2 * j);
              const int64_t b = row * s.head_dim + (pairing == RopePairing::Halves ? j + half : 2 * j + 1);
              const float bound = std::ldexp(std::fabs(x[a]) + std::fabs(x[b]), -22);
              ASSERT_LE(std::fabs(out[a] - expected[a]), bound) << "row " << row << " pair " << j;
              ASSERT_LE(std::fabs(out[b] - expected[b]), bound) << "row " << row << " pair " << j;
            }
          }
        });
      }
    }
  }
}

TEST(CudaRope, RefusesBadShapesAndANegativePosition) {
  std::vector<float> x(8);
  std::vector<int32_t> positions{0, -1};
  EXPECT_THROW(rope(x.data(), positions.data(), 1, 1, 3, 1e4, RopePairing::Halves, nullptr), Error);
  EXPECT_THROW(rope(x.data(), positions.data(), 0, 1, 4, 1e4, RopePairing::Halves, nullptr), Error);
  EXPECT_THROW(rope(x.data(), positions.data(), 1, 0, 4, 1e4, RopePairing::Halves, nullptr), Error);
  // A position is device data: the kernel traps, which the emulation reports.
  EXPECT_THROW(rope(x.data(), positions.data(), 2, 1, 4, 1e4, RopePairing::Halves, nullptr),
               emulation::EmulationError);
}

TEST(CudaSiluMul, MatchesTheCpu) {
  for (const int64_t n : {int64_t{1}, int64_t{31}, int64_t{257}, int64_t{5000}}) {
    SCOPED_TRACE(n);
    const std::vector<float> gate = random_floats(n, -30.0f, 30.0f, 6);
    const std::vector<float> up = random_floats(n, -2.0f, 2.0f, 7);
    std::vector<float> expected(n);
    eaglerun::silu_mul(gate.data(), up.data(), n, expected.data());
    in_every_schedule([&] {
      std::vector<float> out(n);
      silu_mul(gate.data(), up.data(), n, out.data(), nullptr);
      expect_within_ulps(out, expected, 4);
      std::vector<float> in_place = gate;  // out may alias gate
      silu_mul(in_place.data(), up.data(), n, in_place.data(), nullptr);
      expect_within_ulps(in_place, expected, 4);
    });
  }
}

TEST(CudaAddInplace, MatchesTheCpu) {
  for (const int64_t n : {int64_t{1}, int64_t{31}, int64_t{257}, int64_t{5000}}) {
    SCOPED_TRACE(n);
    const std::vector<float> x = random_floats(n, -1.0f, 1.0f, 8);
    const std::vector<float> start = random_floats(n, -1.0f, 1.0f, 9);
    std::vector<float> expected = start;
    eaglerun::add_inplace(expected.data(), x.data(), n);
    in_every_schedule([&] {
      std::vector<float> out = start;
      add_inplace(out.data(), x.data(), n, nullptr);
      EXPECT_EQ(out, expected);
    });
  }
}

// More elements than the grid's threads: each thread loops (grid-stride), forward order only.
TEST(CudaAddInplace, CoversMoreElementsThanThreads) {
  const int64_t n = (int64_t{1} << 20) + 77;
  const std::vector<float> x = random_floats(n, -1.0f, 1.0f, 10);
  std::vector<float> out(n, 1.0f);
  add_inplace(out.data(), x.data(), n, nullptr);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[i], 1.0f + x[i]) << i;
}

TEST(CudaElementwiseKernels, RefuseEmptySizes) {
  std::vector<float> x(4);
  EXPECT_THROW(silu_mul(x.data(), x.data(), 0, x.data(), nullptr), Error);
  EXPECT_THROW(add_inplace(x.data(), x.data(), -1, nullptr), Error);
}

}  // namespace
}  // namespace eaglerun::cuda
