// Quantisation of fp32 weights to GGML block formats (the inverse of dequantize.cpp).
#include <algorithm>
#include <cmath>
#include <cstring>

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

}  // namespace eaglerun
