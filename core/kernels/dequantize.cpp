// Dequantisation of every weight DType to fp32 (GGML block semantics, see dtype.h). All products
// d * q are exact in fp32; Q4_1's `+ m` is the one rounding.
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/kernels/matmul.h"

namespace eaglerun {

namespace {

uint16_t load_u16(const std::byte* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// out[32] = d * q
void dequantize_q8_0(const std::byte* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += sizeof(BlockQ8_0), out += 32) {
    BlockQ8_0 blk;
    std::memcpy(&blk, src, sizeof blk);
    const float d = fp16_to_fp32(blk.d);
    for (int i = 0; i < 32; ++i) out[i] = d * static_cast<float>(blk.qs[i]);
  }
}

// out[i] = d * (low nibble of byte i - 8), out[i + 16] = d * (high nibble - 8)
void dequantize_q4_0(const std::byte* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += sizeof(BlockQ4_0), out += 32) {
    BlockQ4_0 blk;
    std::memcpy(&blk, src, sizeof blk);
    const float d = fp16_to_fp32(blk.d);
    for (int i = 0; i < 16; ++i) {
      out[i] = d * static_cast<float>((blk.qs[i] & 0x0F) - 8);
      out[i + 16] = d * static_cast<float>((blk.qs[i] >> 4) - 8);
    }
  }
}

// out[i] = d * nibble + m. d * nibble is exact (11 x 4 significant bits), so only the sum rounds,
// the same with or without a fused multiply-add.
void dequantize_q4_1(const std::byte* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += sizeof(BlockQ4_1), out += 32) {
    BlockQ4_1 blk;
    std::memcpy(&blk, src, sizeof blk);
    const float d = fp16_to_fp32(blk.d);
    const float m = fp16_to_fp32(blk.m);
    for (int i = 0; i < 16; ++i) {
      const float lo = d * static_cast<float>(blk.qs[i] & 0x0F);
      const float hi = d * static_cast<float>(blk.qs[i] >> 4);
      out[i] = lo + m;
      out[i + 16] = hi + m;
    }
  }
}

}  // namespace

void dequantize(DType type, const std::byte* src, int64_t n, float* out) {
  const DTypeInfo& info = dtype_info(type);
  require(n >= 0 && n % info.block_elems == 0,
          "dequantize: " + std::to_string(n) + " elements is not a multiple of the " + std::string(info.name) +
              " block size");
  switch (type) {
    case DType::F32:
      std::memcpy(out, src, static_cast<std::size_t>(n) * sizeof(float));
      return;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) out[i] = fp16_to_fp32(load_u16(src + 2 * i));
      return;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_fp32(load_u16(src + 2 * i));
      return;
    case DType::Q8_0:
      return dequantize_q8_0(src, n / 32, out);
    case DType::Q4_0:
      return dequantize_q4_0(src, n / 32, out);
    case DType::Q4_1:
      return dequantize_q4_1(src, n / 32, out);
  }
  throw Error("dequantize: unknown dtype");
}

void dequantize_row(const TensorView& w, int64_t row, float* out) {
  require(row >= 0 && row < w.rows(),
          "row " + std::to_string(row) + " out of range for " + w.name + " " + w.shape_string());
  dequantize(w.dtype, w.row(row), w.cols(), out);
}

}  // namespace eaglerun
