// fp16 / bf16 conversions, against the IEEE definitions (kernel_test_util.h), exhaustively.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/kernels/matmul.h"
#include "tests/kernels/isa_scope.h"
#include "tests/kernels/kernel_test_util.h"

namespace eaglerun {
namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(Half, EveryFp16DecodesExactly) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const double want = test::half_value(static_cast<uint16_t>(h));
    const float got = fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << h;
      continue;
    }
    ASSERT_EQ(static_cast<double>(got), want) << "half 0x" << std::hex << h;
    ASSERT_EQ(std::signbit(got), (h & 0x8000) != 0) << "half 0x" << std::hex << h;  // -0 stays -0
  }
}

TEST(Half, EveryFp16RoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(f))));
    } else {
      ASSERT_EQ(fp32_to_fp16(f), h) << "half 0x" << std::hex << h;
    }
  }
}

// fp32_to_fp16 rounds to nearest, ties to even: check the midpoints between neighbouring halves.
TEST(Half, RoundsToNearestEven) {
  for (uint32_t h = 0; h < 0x7BFF; h += 7) {  // positive finite, below the largest
    const double lo = test::half_value(static_cast<uint16_t>(h));
    const double hi = test::half_value(static_cast<uint16_t>(h + 1));
    const float mid = static_cast<float>((lo + hi) / 2);  // exact in fp32
    const uint16_t even = (h % 2 == 0) ? h : h + 1;
    EXPECT_EQ(fp32_to_fp16(mid), even) << h;
    EXPECT_EQ(fp32_to_fp16(std::nextafter(mid, 0.0f)), h) << h;
    EXPECT_EQ(fp32_to_fp16(std::nextafter(mid, 1e9f)), h + 1) << h;
    EXPECT_EQ(fp32_to_fp16(-mid), even | 0x8000) << h;
  }
}

TEST(Half, OverflowUnderflowAndSpecials) {
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);  // the tie rounds to even = inf
  EXPECT_EQ(fp32_to_fp16(1e10f), 0x7C00);
  EXPECT_EQ(fp32_to_fp16(-1e10f), 0xFC00);
  EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -24)), 0x0001);     // smallest subnormal
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);     // tie to even: zero
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -30)), 0x0000);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1023.5f, -24)), 0x0400);  // rounds up into the normals
  const uint16_t nan = fp32_to_fp16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);
}

// fp32_to_fp16_row (branch-free, vectorised) gives fp32_to_fp16's bits: on every midpoint between
// neighbouring halves and its two neighbours, both signs, and on floats spread over the whole range
// (every 4099th bit pattern: all exponents, nan and inf included), on every ISA.
TEST(Half, RowConversionEqualsTheScalarOne) {
  std::vector<float> x;
  for (uint32_t h = 0; h < 0x7C00; ++h) {
    const float mid = static_cast<float>((test::half_value(static_cast<uint16_t>(h)) +
                                          test::half_value(static_cast<uint16_t>(h + 1))) / 2);
    for (float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)}) x.insert(x.end(), {f, -f});
  }
  for (uint64_t u = 0; u <= 0xFFFFFFFFu; u += 4099) x.push_back(from_bits(static_cast<uint32_t>(u)));
  for (uint32_t u : {0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x7F800001u, 0x477FF000u, 0x477FEFFFu, 0x38800000u,
                     0x387FFFFFu, 0x33000000u, 0x33000001u, 0x32FFFFFFu, 0u, 0x80000000u})
    x.push_back(from_bits(u));
  for (KernelIsa isa : test::supported_isas()) {  // AVX-512 converts with vcvtps2ph
    test::IsaScope scope(isa);
    std::vector<uint16_t> got(x.size());
    fp32_to_fp16_row(x.data(), static_cast<int64_t>(x.size()), got.data());
    for (std::size_t i = 0; i < x.size(); ++i) {
      ASSERT_EQ(got[i], fp32_to_fp16(x[i])) << kernel_isa_name(isa) << " float bits 0x" << std::hex << bits(x[i]);
    }
  }
}

TEST(BFloat16, DecodesUpperBits) {
  for (uint32_t h = 0; h < 65536; h += 3) {
    const float got = bf16_to_fp32(static_cast<uint16_t>(h));
    EXPECT_EQ(bits(got), h << 16);
  }
}

TEST(BFloat16, RoundsToNearestEven) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F808000)), 0x3F80);  // tie, even stays
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F818000)), 0x3F82);  // tie, odd rounds up
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F808001)), 0x3F81);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F807FFF)), 0x3F80);
  EXPECT_EQ(fp32_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x7F7FFFFF)), 0x7F80);  // max float rounds to inf
  const uint16_t nan = fp32_to_bf16(from_bits(0x7F800001));  // a signalling nan stays nan
  EXPECT_TRUE(std::isnan(bf16_to_fp32(nan)));
}

}  // namespace
}  // namespace eaglerun
