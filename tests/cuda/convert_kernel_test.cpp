// cuda::fp32_to_16bit (emulated) against the CPU's conversions (core/kernels/half.cpp fp32_to_bf16,
// fp32_to_fp16): bit for bit, every value (integer code on both sides, nothing to tolerate), on odd
// sizes, in every thread order: NaN payloads and signs, infinities, overflow, rounding ties both ways,
// fp16 subnormals and underflow, fp32 subnormals, and random bit patterns over every exponent.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "core/backend/cuda/emulation/grid_runner.h"
#include "core/backend/cuda/kernels.h"
#include "core/error.h"
#include "core/kernels/matmul.h"
#include "tests/cuda/compare.h"
#include "tests/cuda/schedules.h"

namespace eaglerun::cuda {
namespace {

using testing::in_every_schedule;
using testing::random_floats;

// The values where a conversion can go wrong, as fp32 bit patterns (each also negated below).
const uint32_t special_bits[] = {
    0x00000000u, 0x00000001u, 0x007FFFFFu, 0x00800000u,  // zero, fp32 subnormals, smallest normal
    0x7F800000u, 0x7F7FFFFFu,                            // inf, largest finite
    0x7FC00000u, 0x7F800001u, 0x7FBFFFFFu, 0x7F80FFFFu, 0x7FC12345u, 0x7FFFFFFFu,  // NaNs: quiet, signalling
    // bf16 ties (low half 0x8000) with an even and an odd kept half, and their neighbours.
    0x3F808000u, 0x3F818000u, 0x3F807FFFu, 0x3F808001u, 0x3F817FFFu, 0x3F818001u,
    0x7F7F8000u, 0x7F7F7FFFu, 0x7F7E8000u,  // bf16: the tie above the largest finite rounds to inf
    0x00008000u, 0x00018000u,               // bf16 ties among fp32 subnormals
    // fp16 normal ties (13 dropped bits 0x1000), even and odd, and neighbours; the carry into the exponent.
    0x3F801000u, 0x3F803000u, 0x3F800FFFu, 0x3F801001u, 0x3FFFF000u, 0x3FFFEFFFu,
    0x477FE000u, 0x477FEFFFu, 0x477FF000u, 0x477FF001u, 0x47800000u,  // 65504, just below 65520, 65520 (inf)
    0x38800000u, 0x387FFFFFu, 0x387FF000u, 0x387FE000u,  // fp16's smallest normal and what rounds up to it
    0x33800000u, 0x33000000u, 0x33000001u, 0x32FFFFFFu,  // 2^-24, 2^-25 (a tie to 0), either side
    0x33C00000u, 0x34200000u, 0x34400000u, 0x34300000u,  // 1.5, 2.5, 3 and 2.75 x 2^-24: ties and not
    0x3F800000u, 0x40490FDBu, 0x3DCCCCCDu, 0x4B7FFFFFu,  // 1, pi, 0.1, 2^24 - 1
};

std::vector<float> inputs(int64_t n, uint32_t seed) {
  std::vector<float> x;
  for (const uint32_t b : special_bits) {
    x.push_back(std::bit_cast<float>(b));
    x.push_back(std::bit_cast<float>(b | 0x80000000u));
  }
  std::mt19937 random(seed);
  // Random bit patterns (every exponent, NaNs included) and activation-like values.
  while (static_cast<int64_t>(x.size()) < n) {
    x.push_back(x.size() % 2 == 0 ? std::bit_cast<float>(static_cast<uint32_t>(random()))
                                  : std::uniform_real_distribution<float>(-8.0f, 8.0f)(random));
  }
  x.resize(static_cast<std::size_t>(n));
  return x;
}

std::vector<uint16_t> on_the_cpu(DType type, const std::vector<float>& x) {
  std::vector<uint16_t> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = type == DType::BF16 ? fp32_to_bf16(x[i]) : fp32_to_fp16(x[i]);
  return out;
}

void expect_bits_equal(const std::vector<uint16_t>& got, const std::vector<uint16_t>& want, const std::vector<float>& x) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << "at " << i << ": fp32 bits 0x" << std::hex << std::bit_cast<uint32_t>(x[i]);
  }
}

TEST(CudaFp32To16Bit, MatchesTheCpuBitForBit) {
  for (const DType type : {DType::BF16, DType::F16}) {
    // 1 and 31: less than a warp; 257: a block and a bit; 5000: many blocks; the special values
    // (about 120) fall in the first blocks of the larger sizes.
    for (const int64_t n : {int64_t{1}, int64_t{31}, int64_t{257}, int64_t{5000}}) {
      SCOPED_TRACE(std::string(type == DType::BF16 ? "bf16" : "fp16") + ", n " + std::to_string(n));
      const std::vector<float> x = inputs(n, static_cast<uint32_t>(n));
      const std::vector<uint16_t> want = on_the_cpu(type, x);
      in_every_schedule([&] {
        std::vector<uint16_t> out(static_cast<std::size_t>(n) + 1, 0xABCDu);  // one past the end stays
        fp32_to_16bit(type, x.data(), n, out.data(), nullptr);
        EXPECT_EQ(out.back(), 0xABCDu);
        out.pop_back();
        expect_bits_equal(out, want, x);
      });
    }
  }
}

// Every special value at every position of a warp (the lanes take different branches).
TEST(CudaFp32To16Bit, SpecialValuesInEveryLane) {
  std::vector<float> x;
  for (int shift = 0; shift < 32; ++shift) {
    for (std::size_t i = 0; i < std::size(special_bits); ++i) {
      const uint32_t b = special_bits[(i + static_cast<std::size_t>(shift)) % std::size(special_bits)];
      x.push_back(std::bit_cast<float>(shift % 2 == 0 ? b : b | 0x80000000u));
    }
  }
  for (const DType type : {DType::BF16, DType::F16}) {
    const std::vector<uint16_t> want = on_the_cpu(type, x);
    std::vector<uint16_t> out(x.size());
    fp32_to_16bit(type, x.data(), static_cast<int64_t>(x.size()), out.data(), nullptr);
    expect_bits_equal(out, want, x);
  }
}

// More elements than the grid's threads (4096 blocks of 256): each thread loops, forward order only.
TEST(CudaFp32To16Bit, CoversMoreElementsThanThreads) {
  const int64_t n = (int64_t{1} << 20) + 77;
  const std::vector<float> x = random_floats(static_cast<std::size_t>(n), -100.0f, 100.0f, 11);
  const std::vector<uint16_t> want = on_the_cpu(DType::BF16, x);
  std::vector<uint16_t> out(static_cast<std::size_t>(n));
  fp32_to_16bit(DType::BF16, x.data(), n, out.data(), nullptr);
  expect_bits_equal(out, want, x);
}

TEST(CudaFp32To16Bit, RefusesOtherTypesAndEmptySizes) {
  std::vector<float> x(4);
  std::vector<uint16_t> out(4);
  EXPECT_THROW(fp32_to_16bit(DType::F32, x.data(), 4, out.data(), nullptr), Error);
  EXPECT_THROW(fp32_to_16bit(DType::Q8_0, x.data(), 4, out.data(), nullptr), Error);
  EXPECT_THROW(fp32_to_16bit(DType::BF16, x.data(), 0, out.data(), nullptr), Error);
  EXPECT_THROW(fp32_to_16bit(DType::F16, x.data(), -1, out.data(), nullptr), Error);
}

}  // namespace
}  // namespace eaglerun::cuda
