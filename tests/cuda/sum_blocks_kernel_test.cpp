// cuda::sum_blocks (emulated) against the host loop of Communicator::all_reduce_sum: the same bits,
// every element summed in block (rank) order, for any number of blocks and block length.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/backend/cuda/kernels.h"
#include "core/error.h"
#include "tests/cuda/schedules.h"

namespace eaglerun::cuda {
namespace {

using testing::in_every_schedule;

// p blocks of `block` floats spread over many binades (and of both signs), so that another order of
// additions would round differently.
std::vector<float> spread_floats(int64_t p, int64_t block, uint32_t seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-20, 20);
  std::vector<float> v(static_cast<std::size_t>(p * block));
  for (float& x : v) x = std::ldexp(mantissa(random), exponent(random));
  return v;
}

// What parallel/communicator.cpp does on the host: block 0, then += block r for r = 1 .. p-1.
std::vector<float> host_sum(const std::vector<float>& blocks, int64_t p, int64_t block) {
  std::vector<float> out(blocks.begin(), blocks.begin() + block);
  for (int64_t r = 1; r < p; ++r) {
    for (int64_t i = 0; i < block; ++i) out[i] += blocks[r * block + i];
  }
  return out;
}

void expect_same_bits(const std::vector<float>& got, const std::vector<float>& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(expected[i]))
        << "at " << i << ": " << got[i] << " vs " << expected[i];
  }
}

TEST(CudaSumBlocks, HasTheBitsOfTheHostLoopInRankOrder) {
  for (const int64_t p : {1, 2, 3, 5, 8}) {
    for (const int64_t block : {1, 31, 257, 5000}) {  // one thread, part of a warp, several blocks of threads
      SCOPED_TRACE("p " + std::to_string(p) + ", block " + std::to_string(block));
      const std::vector<float> blocks = spread_floats(p, block, static_cast<uint32_t>(p * 7919 + block));
      const std::vector<float> expected = host_sum(blocks, p, block);
      in_every_schedule([&] {
        std::vector<float> out(static_cast<std::size_t>(block), NAN);
        sum_blocks(blocks.data(), p, block, out.data(), nullptr);
        expect_same_bits(out, expected);
      });
    }
  }
}

TEST(CudaSumBlocks, AddsInRankOrderNotAnyOther) {
  // (1e8 + 1) - 1e8 is 0 in fp32 (1e8 + 1 rounds to 1e8); (1e8 - 1e8) + 1, another order, is 1.
  const std::vector<float> blocks = {1e8f, 1.0f, -1e8f};
  float out = NAN;
  sum_blocks(blocks.data(), 3, 1, &out, nullptr);
  EXPECT_EQ(out, 0.0f);
  // Negative zero survives: the sum starts from block 0, not from +0.
  const std::vector<float> zeros = {-0.0f, -0.0f};
  sum_blocks(zeros.data(), 2, 1, &out, nullptr);
  EXPECT_TRUE(std::signbit(out));
}

TEST(CudaSumBlocks, RefusesEmptySizes) {
  float x = 0;
  EXPECT_THROW(sum_blocks(&x, 0, 1, &x, nullptr), Error);
  EXPECT_THROW(sum_blocks(&x, 1, 0, &x, nullptr), Error);
}

}  // namespace
}  // namespace eaglerun::cuda
