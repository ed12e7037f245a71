// Portable kernels for Precision::Fast on CPUs without AVX2: the same 8-bit activation
// quantisation and integer block dot products as the vector kernels, in plain C++.
#include <cmath>
#include <cstring>
#include <vector>

#include "core/kernels/isa_kernels.h"
#include "core/kernels/matmul.h"

namespace eaglerun::kernels {

namespace {

// One quantised activation block: x[i] ~ d * q[i], s = d * sum(q).
struct ActBlock {
  float d;
  float s;
  int8_t q[32];
};

// One weight block as integers: w[i] = d * q[i] + m.
struct WeightBlock {
  int8_t q[32];
  float d;
  float m;
};

std::size_t act_row_bytes(DType, int64_t k) { return (static_cast<std::size_t>(k / 32) * sizeof(ActBlock) + 63) / 64 * 64; }

void quantize_row(DType, const float* x, int64_t k, std::byte* out) {
  for (int64_t b = 0; b < k / 32; ++b, x += 32) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(x[i]));
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    ActBlock blk;
    blk.d = amax / 127.0f;
    int sum = 0;
    for (int i = 0; i < 32; ++i) {
      const float q = std::fmin(127.0f, std::fmax(-127.0f, std::nearbyint(x[i] * inv)));
      blk.q[i] = static_cast<int8_t>(q);
      sum += blk.q[i];
    }
    blk.s = blk.d * static_cast<float>(sum);
    std::memcpy(out + b * sizeof(ActBlock), &blk, sizeof blk);
  }
}

WeightBlock decode_block(DType t, const std::byte* p) {
  WeightBlock w;
  if (t == DType::Q8_0) {
    BlockQ8_0 b;
    std::memcpy(&b, p, sizeof b);
    std::memcpy(w.q, b.qs, 32);
    w.d = fp16_to_fp32(b.d);
    w.m = 0.0f;
    return w;
  }
  uint8_t qs[16];
  if (t == DType::Q4_0) {
    BlockQ4_0 b;
    std::memcpy(&b, p, sizeof b);
    std::memcpy(qs, b.qs, 16);
    w.d = fp16_to_fp32(b.d);
    w.m = -8.0f * w.d;  // d * (q - 8) = d * q + (-8 d)
  } else {
    BlockQ4_1 b;
    std::memcpy(&b, p, sizeof b);
    std::memcpy(qs, b.qs, 16);
    w.d = fp16_to_fp32(b.d);
    w.m = fp16_to_fp32(b.m);
  }
  for (int i = 0; i < 16; ++i) {
    w.q[i] = static_cast<int8_t>(qs[i] & 0x0F);
    w.q[i + 16] = static_cast<int8_t>(qs[i] >> 4);
  }
  return w;
}

// sum_i (d_w q_w[i] + m)(d_x q_x[i]) = d_w d_x sum(q_w q_x) + m s_x
float block_dot(const WeightBlock& w, const ActBlock& x) {
  int32_t dot = 0;
  for (int i = 0; i < 32; ++i) dot += static_cast<int32_t>(w.q[i]) * x.q[i];
  return w.d * x.d * static_cast<float>(dot) + w.m * x.s;
}

void gemm_quant(const QuantGemmArgs& a) {
  const int64_t blocks = a.k / 32;
  const std::size_t wblock = static_cast<std::size_t>(dtype_info(a.wtype).block_bytes);
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t c = 0; c < a.n; ++c) a.y[c * a.ldy + r] = 0.0f;
    const std::byte* wrow = a.w + static_cast<std::size_t>(r) * a.w_stride;
    for (int64_t b = 0; b < blocks; ++b) {
      const WeightBlock w = decode_block(a.wtype, wrow + b * wblock);
      for (int64_t c = 0; c < a.n; ++c) {
        ActBlock x;
        std::memcpy(&x, a.act + c * a.act_stride + b * sizeof(ActBlock), sizeof x);
        a.y[c * a.ldy + r] += block_dot(w, x);
      }
    }
  }
}

float dot(const float* w, const float* x, int64_t k) {
  float acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += w[i + j] * x[i + j];
  }
  for (; i < k; ++i) acc[0] += w[i] * x[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

void gemm_float(const FloatGemmArgs& a) {
  std::vector<float> row(static_cast<std::size_t>(a.k));
  for (int64_t r = 0; r < a.rows; ++r) {
    dequantize(a.wtype, a.w + static_cast<std::size_t>(r) * a.w_stride, a.k, row.data());
    for (int64_t c = 0; c < a.n; ++c) a.y[c * a.ldy + r] = dot(row.data(), a.x + c * a.k, a.k);
  }
}

}  // namespace

extern const IsaKernels kScalarKernels = {&act_row_bytes,     &quantize_row,      nullptr,
                                          &gemm_quant,        &gemm_float,
                                          &portable_attention_scores, &portable_attention_mix};

}  // namespace eaglerun::kernels
