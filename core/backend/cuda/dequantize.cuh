#pragma once
// One weight element as fp32, read from a row in its file layout (core/tensor/dtype.h), with the CPU's
// arithmetic (core/kernels/dequantize.cpp): every result is exact except Q4_1's "+ m", which rounds
// once, with or without a fused multiply-add (d * nibble is exact).
#include <cstdint>

#include "core/backend/cuda/launch.h"
#include "core/tensor/dtype.h"

namespace eaglerun::cuda {

// Little-endian 16 bits at p (any alignment).
__device__ __forceinline__ uint16_t load_u16(const unsigned char* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

__device__ __forceinline__ float fp16_bits_to_float(uint16_t bits) { return __half2float(__ushort_as_half(bits)); }

__device__ __forceinline__ float bf16_bits_to_float(uint16_t bits) {
  return __uint_as_float(static_cast<unsigned>(bits) << 16);
}

// Element c of a row of `type`. row: the row's first byte.
template <DType type>
__device__ __forceinline__ float dequantize_element(const unsigned char* row, int64_t c) {
  if constexpr (type == DType::F32) {
    return reinterpret_cast<const float*>(row)[c];
  } else if constexpr (type == DType::F16) {
    return fp16_bits_to_float(load_u16(row + 2 * c));
  } else if constexpr (type == DType::BF16) {
    return bf16_bits_to_float(load_u16(row + 2 * c));
  } else if constexpr (type == DType::Q8_0) {
    const unsigned char* block = row + c / 32 * sizeof(BlockQ8_0);
    const float d = fp16_bits_to_float(load_u16(block));
    return d * static_cast<float>(static_cast<int8_t>(block[2 + c % 32]));
  } else if constexpr (type == DType::Q4_0) {
    const unsigned char* block = row + c / 32 * sizeof(BlockQ4_0);
    const float d = fp16_bits_to_float(load_u16(block));
    const unsigned byte = block[2 + c % 16];
    const int nibble = static_cast<int>(c % 32 < 16 ? byte & 0x0Fu : byte >> 4);
    return d * static_cast<float>(nibble - 8);
  } else {
    static_assert(type == DType::Q4_1, "dequantize_element: unknown DType");
    const unsigned char* block = row + c / 32 * sizeof(BlockQ4_1);
    const float d = fp16_bits_to_float(load_u16(block));
    const float m = fp16_bits_to_float(load_u16(block + 2));
    const unsigned byte = block[4 + c % 16];
    const unsigned nibble = c % 32 < 16 ? byte & 0x0Fu : byte >> 4;
    return d * static_cast<float>(nibble) + m;
  }
}

}  // namespace eaglerun::cuda
