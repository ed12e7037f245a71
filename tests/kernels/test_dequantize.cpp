// Dequantisation: hand-built blocks with known values, then random rows of every dtype against
// the independent decoder of kernel_test_util.h.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/kernels/matmul.h"
#include "tests/kernels/kernel_test_util.h"

namespace eaglerun {
namespace {

std::vector<float> dequant(DType t, const void* blocks, int64_t n) {
  std::vector<float> out(n);
  dequantize(t, static_cast<const std::byte*>(blocks), n, out.data());
  return out;
}

TEST(Dequantize, Q8_0KnownBlock) {
  BlockQ8_0 b;
  b.d = 0x3800;  // 0.5
  for (int i = 0; i < 32; ++i) b.qs[i] = static_cast<int8_t>(i * 8 - 128);  // -128, -120, ..., 120
  const auto out = dequant(DType::Q8_0, &b, 32);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(out[i], 0.5f * (i * 8 - 128)) << i;
}

TEST(Dequantize, Q4_0KnownBlock) {
  BlockQ4_0 b;
  b.d = 0x4000;  // 2.0
  for (int i = 0; i < 16; ++i) b.qs[i] = static_cast<uint8_t>(i | ((15 - i) << 4));
  const auto out = dequant(DType::Q4_0, &b, 32);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(out[i], 2.0f * (i - 8)) << "low nibble of byte " << i;
    EXPECT_EQ(out[i + 16], 2.0f * (15 - i - 8)) << "high nibble of byte " << i;
  }
}

TEST(Dequantize, Q4_1KnownBlock) {
  BlockQ4_1 b;
  b.d = 0x3400;  // 0.25
  b.m = 0xBE00;  // -1.5
  for (int i = 0; i < 16; ++i) b.qs[i] = static_cast<uint8_t>(i | ((15 - i) << 4));
  const auto out = dequant(DType::Q4_1, &b, 32);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(out[i], 0.25f * i - 1.5f) << i;
    EXPECT_EQ(out[i + 16], 0.25f * (15 - i) - 1.5f) << i;
  }
}

TEST(Dequantize, NegativeZeroScale) {
  BlockQ8_0 b;
  b.d = 0x8000;  // -0.0
  for (int i = 0; i < 32; ++i) b.qs[i] = static_cast<int8_t>(i - 16);
  const auto out = dequant(DType::Q8_0, &b, 32);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(out[i], 0.0f);
    EXPECT_EQ(std::signbit(out[i]), i - 16 >= 0) << i;  // IEEE: -0 * q has the opposite sign of q
  }
  BlockQ4_1 c;
  c.d = 0x8000;
  c.m = 0x8000;
  std::memset(c.qs, 0x00, 16);
  for (float v : dequant(DType::Q4_1, &c, 32)) EXPECT_TRUE(v == 0.0f && std::signbit(v));  // -0 * 0 + -0 = -0
}

TEST(Dequantize, SubnormalScales) {
  BlockQ4_1 b;
  b.d = 0x0001;  // 2^-24, the smallest fp16 subnormal
  b.m = 0x83FF;  // -(1023 * 2^-24), the largest negative subnormal
  for (int i = 0; i < 16; ++i) b.qs[i] = static_cast<uint8_t>(i | (i << 4));
  const auto out = dequant(DType::Q4_1, &b, 32);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(out[i], std::ldexp(static_cast<float>(i - 1023), -24)) << i;
    EXPECT_EQ(out[i + 16], out[i]);
  }
  const uint16_t f16[3] = {0x0001, 0x03FF, 0x8200};
  const auto f = dequant(DType::F16, f16, 3);
  EXPECT_EQ(f[0], std::ldexp(1.0f, -24));
  EXPECT_EQ(f[1], std::ldexp(1023.0f, -24));
  EXPECT_EQ(f[2], -std::ldexp(512.0f, -24));
}

TEST(Dequantize, FloatTypes) {
  const float f32[3] = {1.5f, -0.0f, 3e-40f};  // includes an fp32 subnormal
  const auto a = dequant(DType::F32, f32, 3);
  EXPECT_EQ(std::memcmp(a.data(), f32, sizeof f32), 0);
  const uint16_t bf16[2] = {0x3FC0, 0xC000};  // 1.5, -2
  const auto b = dequant(DType::BF16, bf16, 2);
  EXPECT_EQ(b[0], 1.5f);
  EXPECT_EQ(b[1], -2.0f);
}

TEST(Dequantize, RandomRowsOfEveryType) {
  for (DType t : test::kAllDTypes) {
    const test::OwnedTensor w = test::random_weights(t, 3, 96, 7);
    std::vector<float> row(96);
    for (int64_t r = 0; r < 3; ++r) {
      dequantize_row(w.view, r, row.data());
      for (int64_t i = 0; i < 96; ++i) {
        const double want = test::element_value(t, w.view.row(r), i);
        // Exact except Q4_1's final `+ m`, rounded once to fp32.
        ASSERT_NEAR(row[i], want, std::fabs(want) * 6e-8) << dtype_info(t).name << " row " << r << " elem " << i;
      }
    }
  }
}

TEST(Dequantize, RejectsPartialBlocksAndBadRows) {
  std::vector<std::byte> bytes(64);
  std::vector<float> out(64);
  EXPECT_THROW(dequantize(DType::Q8_0, bytes.data(), 20, out.data()), Error);
  const test::OwnedTensor w = test::random_weights(DType::Q4_0, 2, 32, 1);
  EXPECT_THROW(dequantize_row(w.view, 2, out.data()), Error);
  EXPECT_THROW(dequantize_row(w.view, -1, out.data()), Error);
}


// quantize_q8_0 is the inverse of dequantisation up to half a step of each block's scale d =
// max|x| / 127, plus what storing d in fp16 changes (|q| <= 127 steps of |d16 - d|; the 1e-3 block's
// d is an fp16 subnormal).
TEST(Quantize, Q8_0RoundTripsWithinHalfAStep) {
  std::vector<float> x(96);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i)) * (i < 32 ? 1e-3f : 3.f);
  x[40] = 0.f;
  std::vector<std::byte> q(storage_bytes(DType::Q8_0, 96));
  quantize_q8_0(x.data(), 96, q.data());
  std::vector<float> back(96);
  dequantize(DType::Q8_0, q.data(), 96, back.data());
  for (int b = 0; b < 3; ++b) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::abs(x[b * 32 + i]));
    const float d = amax / 127.f, d16 = fp16_to_fp32(fp32_to_fp16(d));
    const float bound = 0.5f * d + 127.f * std::abs(d16 - d) + 1e-7f * amax;
    for (int i = 0; i < 32; ++i) {
      EXPECT_LE(std::abs(back[b * 32 + i] - x[b * 32 + i]), bound) << "element " << b * 32 + i;
    }
  }
  std::vector<float> zeros(32, 0.f), out(32, 1.f);
  quantize_q8_0(zeros.data(), 32, q.data());
  dequantize(DType::Q8_0, q.data(), 32, out.data());
  EXPECT_EQ(out, zeros);
  EXPECT_THROW(quantize_q8_0(x.data(), 33, q.data()), Error);
}

}  // namespace
}  // namespace eaglerun
