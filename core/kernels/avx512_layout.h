#pragma once
// Internal: the AVX-512 kernels' layout of quantised activations (one row of k elements).
// Each 32-element block b is quantised to q[b][i] = round(x[i] / d[b]), d[b] = max|x| / 127.
//
// For Q4_0 / Q4_1 weights, groups of 4 blocks (128 elements), 256 bytes each:
//   int8  lo[64]   lo[16 b + i] = q[b][i]          (b < 4, i < 16): pairs with the low nibbles
//   int8  hi[64]   hi[16 b + i] = q[b][16 + i]                      pairs with the high nibbles
//   float dx[16]   dx[4 b + j]  = d[b]             one per vpdpbusd lane (4 lanes per block)
//   float sx[16]   sx[4 b + j]  = d[b] * (sum of the 8 q's that lane j of block b covers)
// For Q8_0 weights, units of 2 blocks (64 elements), 128 bytes each:
//   uint8 u[64]    u[32 b + i] = q[b][i] + 128     unsigned operand of vpdpbusd
//   float dx[16]   dx[8 b + j] = d[b]
// Blocks past the end of the row (in the last group or unit) are all zero.
#include <cstddef>
#include <cstdint>

namespace eaglerun::kernels::avx512 {

inline constexpr int kQ4GroupBlocks = 4;
inline constexpr std::size_t kQ4GroupBytes = 256;
inline constexpr int kQ8UnitBlocks = 2;
inline constexpr std::size_t kQ8UnitBytes = 128;

}  // namespace eaglerun::kernels::avx512
