// The AVX-512 and AVX2 quantised matmuls against their specifications, bit for bit: a scalar
// model of the arithmetic that core/kernels/kernels_avx512_gemm_q.cpp and kernels_avx2_quant.cpp
// document (AVX-512, avx512_layout.h's row groups: one lane per output, one fma chain over the
// blocks in order; AVX2, avx2_layout.h's 8 lanes and superblocks of up to 8 blocks: one fma chain
// per lane over the superblocks in order, then hsum's tree over the 8 lanes), written here from
// that description and not from the kernel code. Every output the kernel computes, whatever its
// register tile (n = 1..33 activation rows, weight row counts that fill one, two or three row
// groups in part, 1 to 3 threads, weights packed at load or on the fly), must equal the model's.
// This pins the fast path's bits: a kernel that keeps rows invariant but changes the arithmetic
// (another reduction order, another lane split, a reassociated scale) fails here, and so would
// change the tokens recorded with the present kernels.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/kernels/kernel_isa.h"
#include "core/kernels/matmul.h"
#include "core/kernels/packed_weights.h"
#include "tests/kernels/isa_scope.h"
#include "tests/kernels/kernel_test_util.h"

namespace eaglerun {
namespace {

// One activation block as quantize_row makes it: q = round_half_even(x * (127 / max|x|)) in
// float, d = max|x| / 127.
struct ActBlock {
  int q[32];
  float d;
};

ActBlock quantise_block(const float* x) {
  float amax = 0.0f;
  for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(x[i]));
  const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
  ActBlock b{};
  for (int i = 0; i < 32; ++i) {
    const float p = x[i] * inv;
    b.q[i] = static_cast<int>(std::nearbyint(p));  // the default rounding: to nearest, ties to even
    b.q[i] = b.q[i] > 127 ? 127 : b.q[i] < -128 ? -128 : b.q[i];
  }
  b.d = amax / 127.0f;
  return b;
}

// A weight block from the file: integer values (Q4_0: nibble - 8, Q4_1: nibble, Q8_0: int8),
// scale d and (Q4_1) min m.
struct WeightBlock {
  int v[32];
  float d;
  float m;
};

WeightBlock weight_block(DType t, const std::byte* b) {
  WeightBlock w{};
  w.d = fp16_to_fp32(test::u16_at(b));
  if (t == DType::Q8_0) {
    for (int i = 0; i < 32; ++i) w.v[i] = static_cast<int8_t>(b[2 + i]);
    return w;
  }
  const std::byte* nibbles = b + (t == DType::Q4_1 ? 4 : 2);
  if (t == DType::Q4_1) w.m = fp16_to_fp32(test::u16_at(b + 2));
  for (int i = 0; i < 16; ++i) {
    const int byte = static_cast<int>(nibbles[i]);
    w.v[i] = byte & 0x0F;
    w.v[i + 16] = byte >> 4;
    if (t == DType::Q4_0) w.v[i] -= 8, w.v[i + 16] -= 8;
  }
  return w;
}

// AVX-512 (avx512_layout.h): one output is one lane, one fma chain over the blocks in order.
float row_group_output(DType t, const std::byte* wrow, const float* x, int64_t k) {
  const int64_t block_bytes = dtype_info(t).block_bytes;
  float acc = 0.0f;
  for (int64_t block = 0; block < k / 32; ++block) {
    const WeightBlock wb = weight_block(t, wrow + block * block_bytes);
    const ActBlock xb = quantise_block(x + 32 * block);
    int dot = 0, sum_q = 0;
    for (int e = 0; e < 32; ++e) {
      dot += wb.v[e] * xb.q[e];
      sum_q += xb.q[e];
    }
    acc = std::fma(static_cast<float>(dot), wb.d * xb.d, acc);
    if (t == DType::Q4_1) acc = std::fma(wb.m, static_cast<float>(sum_q) * xb.d, acc);
  }
  return acc;
}

// AVX2 (avx2_layout.h): 8 lanes, superblocks of up to 8 blocks, one fma chain per lane over the
// superblocks in order, then hsum's tree.
float superblock_output(DType t, const std::byte* wrow, const float* x, int64_t k) {
  constexpr int kLanes = 8, kMaxSuperblock = 8;
  const int64_t blocks = k / 32;
  const int64_t block_bytes = dtype_info(t).block_bytes;
  float acc[kLanes] = {};
  for (int64_t b0 = 0; b0 < blocks;) {
    // Superblocks: the largest while they last, then the binary digits of the rest.
    int s = kMaxSuperblock;
    while (s > blocks - b0) s /= 2;
    // A register holds 8 4-element parts; a block has 8 parts.
    const int lanes = kLanes / s;     // lanes per block
    const int registers = s;          // parts of a block per lane
    for (int j = 0; j < kLanes; ++j) {
      // Lane j holds parts p, p + L, ... of block b0 + j / L.
      const int64_t block = b0 + j / lanes;
      const WeightBlock wb = weight_block(t, wrow + block * block_bytes);
      const ActBlock xb = quantise_block(x + 32 * block);
      int dot = 0, sum_q = 0;
      for (int i = 0; i < registers; ++i) {
        const int part = i * lanes + j % lanes;
        for (int e = 4 * part; e < 4 * part + 4; ++e) {
          dot += wb.v[e] * xb.q[e];
          sum_q += xb.q[e];
        }
      }
      acc[j] = std::fma(static_cast<float>(dot), wb.d * xb.d, acc[j]);
      if (t == DType::Q4_1) acc[j] = std::fma(wb.m, static_cast<float>(sum_q) * xb.d, acc[j]);
    }
    b0 += s;
  }
  // hsum's tree: ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))
  return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

using SpecOutput = float (*)(DType, const std::byte*, const float*, int64_t);

void check_isa(KernelIsa isa, SpecOutput spec_output) {
  test::IsaScope scope(isa);
  ThreadPool one(1), two(2), three(3);
  constexpr int64_t kMaxTokens = 33;
  for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q4_1}) {
    // blocks 1, 2, 3, 16 + 2 (the default model's k = 576), 16 + 8 + 4 + 2 + 1, 48, 64 + 2 + 1
    for (int64_t k : {32, 64, 96, 576, 992, 1536, 2144}) {
      for (int64_t rows : {1, 7, 13, 37}) {
        const test::OwnedTensor w = test::random_weights(t, rows, k, static_cast<uint32_t>(3 * k + rows));
        const std::vector<float> x = test::random_activations(kMaxTokens, k, static_cast<uint32_t>(k + 1));
        std::vector<float> want(static_cast<std::size_t>(kMaxTokens * rows));
        for (int64_t c = 0; c < kMaxTokens; ++c) {
          for (int64_t r = 0; r < rows; ++r) want[c * rows + r] = spec_output(t, w.view.row(r), x.data() + c * k, k);
        }
        for (bool packed_at_load : {false, true}) {
          PackedWeights packed;
          if (packed_at_load) packed.add(w.view, two);
          for (ThreadPool* pool : {&one, &two, &three}) {
            for (int64_t n : {1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 24, 32, 33}) {
              std::vector<float> y(static_cast<std::size_t>(n * rows));
              matmul(w.view, x.data(), n, y.data(), Precision::Fast, *pool);
              for (int64_t i = 0; i < n * rows; ++i) {
                ASSERT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(want[i]))
                    << kernel_isa_name(isa) << " " << dtype_info(t).name << " k=" << k << " rows=" << rows
                    << " n=" << n << " output (" << i / rows << ", " << i % rows << ") threads=" << pool->size() << (packed_at_load ? " packed at load" : "")
                    << ": " << y[i] << " vs " << want[i];
              }
            }
          }
        }
      }
    }
  }
}

TEST(MatmulVectorSpec, EveryOutputHasTheBitsOfTheSpecifiedArithmetic) {
  bool any = false;
  if (kernel_isa_supported(KernelIsa::Avx2)) {
    any = true;
    check_isa(KernelIsa::Avx2, superblock_output);
    if (HasFatalFailure()) return;
  }
  if (kernel_isa_supported(KernelIsa::Avx512)) {
    any = true;
    check_isa(KernelIsa::Avx512, row_group_output);
  }
  if (!any) GTEST_SKIP() << "neither AVX2 nor AVX-512 VNNI on this CPU";
}

}  // namespace
}  // namespace eaglerun
