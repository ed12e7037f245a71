// Quantisation of fp32 weights to GGML block formats (the inverse of dequantize.cpp).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/kernels/matmul.h"

namespace eaglerun {

// Per block of 32: d = max|x| / 127 (stored as fp16), q = round(x / d), as llama.cpp's
// quantize_row_q8_0_ref does.
void quantize_q8_0(const float* x, int64_t n, std::byte* out) {
  require(n % 32 == 0, "quantize_q8_0: " + std::to_string(n) + " is not a multiple of 32");
  for (int64_t b = 0; b < n / 32; ++b, x += 32, out += sizeof(BlockQ8_0)) {
    float amax = 0.f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::abs(x[i]));
    const float d = amax / 127.f;
    const float id = d != 0.f ? 1.f / d : 0.f;
    BlockQ8_0 blk;
    blk.d = fp32_to_fp16(d);
    for (int i = 0; i < 32; ++i) blk.qs[i] = static_cast<int8_t>(std::lround(x[i] * id));
    std::memcpy(out, &blk, sizeof blk);
  }
}

namespace {

// min(15, trunc(v)) as ggml's MIN(15, (int8_t)v) for v in [0, 16.5] (every finite block gives
// that range); 0 for NaN, so non-finite weights cannot reach an out-of-range conversion.
uint8_t nibble(float v) {
  if (!(v >= 0.f)) return 0;
  return v >= 15.f ? 15 : static_cast<uint8_t>(static_cast<int>(v));
}

}  // namespace

// Per block of 32: the value of largest magnitude (the first, on ties) is max; d = max / -8,
// q = min(15, trunc(x / d + 8.5)): max maps to 0, and x = d * (q - 8).
void quantize_q4_0(const float* x, int64_t n, std::byte* out) {
  require(n % 32 == 0, "quantize_q4_0: " + std::to_string(n) + " is not a multiple of 32");
  for (int64_t b = 0; b < n / 32; ++b, x += 32, out += sizeof(BlockQ4_0)) {
    float amax = 0.f, max = 0.f;
    for (int i = 0; i < 32; ++i) {
      if (amax < std::abs(x[i])) amax = std::abs(x[i]), max = x[i];
    }
    const float d = max / -8.f;
    const float id = d != 0.f ? 1.f / d : 0.f;
    BlockQ4_0 blk;
    blk.d = fp32_to_fp16(d);
    for (int i = 0; i < 16; ++i) {
      blk.qs[i] = static_cast<uint8_t>(nibble(x[i] * id + 8.5f) | (nibble(x[i + 16] * id + 8.5f) << 4));
    }
    std::memcpy(out, &blk, sizeof blk);
  }
}

// Per block of 32: d = (max - min) / 15, m = min (both stored as fp16), q = min(15, trunc((x - min)
// / d + 0.5)), x = d * q + m.
void quantize_q4_1(const float* x, int64_t n, std::byte* out) {
  require(n % 32 == 0, "quantize_q4_1: " + std::to_string(n) + " is not a multiple of 32");
  for (int64_t b = 0; b < n / 32; ++b, x += 32, out += sizeof(BlockQ4_1)) {
    float min = std::numeric_limits<float>::max(), max = -std::numeric_limits<float>::max();
    for (int i = 0; i < 32; ++i) {
      if (x[i] < min) min = x[i];
      if (x[i] > max) max = x[i];
    }
    const float d = (max - min) / 15.f;
    const float id = d != 0.f ? 1.f / d : 0.f;
    BlockQ4_1 blk;
    blk.d = fp32_to_fp16(d);
    blk.m = fp32_to_fp16(min);
    for (int i = 0; i < 16; ++i) {
      blk.qs[i] = static_cast<uint8_t>(nibble((x[i] - min) * id + 0.5f) | (nibble((x[i + 16] - min) * id + 0.5f) << 4));
    }
    std::memcpy(out, &blk, sizeof blk);
  }
}

void encode(DType type, const float* x, int64_t n, std::byte* out) {
  switch (type) {
    case DType::F32: std::memcpy(out, x, static_cast<std::size_t>(n) * 4); return;
    case DType::F16:
      for (int64_t i = 0; i < n; i += 256) {  // through an aligned buffer: out may be unaligned
        uint16_t h[256];
        const int64_t m = n - i < 256 ? n - i : 256;
        fp32_to_fp16_row(x + i, m, h);
        std::memcpy(out + 2 * i, h, static_cast<std::size_t>(m) * 2);
      }
      return;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = fp32_to_bf16(x[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    case DType::Q8_0: quantize_q8_0(x, n, out); return;
    case DType::Q4_0: quantize_q4_0(x, n, out); return;
    case DType::Q4_1: quantize_q4_1(x, n, out); return;
  }
}

}  // namespace eaglerun
