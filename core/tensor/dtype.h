#pragma once
// Element types of weight tensors, with the GGML block layouts for quantised ones.
//   F32, F16, BF16  : one element per "block".
//   Q8_0 (34 B / 32): fp16 d; int8 q[32];            x = d * q
//   Q4_0 (18 B / 32): fp16 d; uint8 q[16];           x = d * (nibble - 8)
//   Q4_1 (20 B / 32): fp16 d; fp16 m; uint8 q[16];   x = d * nibble + m
//   For Q4_*: byte i holds element i (low nibble) and element i + 16 (high nibble).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace eaglerun {

enum class DType : uint8_t { F32, F16, BF16, Q8_0, Q4_0, Q4_1 };

struct DTypeInfo {
  std::string_view name;  // "f32", "q4_1", ...
  int block_elems;        // elements per block (1 for float types)
  int block_bytes;        // bytes per block
};

const DTypeInfo& dtype_info(DType t);
bool is_quantised(DType t);

// Bytes that n elements of type t occupy. Throws Error if n is not a multiple of the block size.
std::size_t storage_bytes(DType t, int64_t n);

// GGML block structs (packed, little-endian). Shared by the GGUF loader and the kernels.
#pragma pack(push, 1)
struct BlockQ8_0 { uint16_t d; int8_t qs[32]; };
struct BlockQ4_0 { uint16_t d; uint8_t qs[16]; };
struct BlockQ4_1 { uint16_t d; uint16_t m; uint8_t qs[16]; };
#pragma pack(pop)
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20);

}  // namespace eaglerun
