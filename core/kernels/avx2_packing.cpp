// The AVX2 kernels' packed weight rows (avx2_layout.h), written from the file's blocks. Plain
// C++: a layout change only, run at load time (or on the fly for weights not packed then).
#include <cstring>

#include "core/kernels/avx2_layout.h"
#include "core/kernels/kernels_avx2.h"

namespace eaglerun::kernels::avx2 {

namespace {

uint32_t load32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Elements 4 part .. 4 part + 3 (part < 8) of a file block as the bytes the kernels multiply:
// nibbles for Q4_0 / Q4_1, the signed int8 values for Q8_0.
uint32_t part_bytes(DType t, const std::byte* block, int part) {
  if (t == DType::Q8_0) return load32(block + 2 + 4 * part);
  const uint32_t q = load32(block + (t == DType::Q4_1 ? 4 : 2) + 4 * (part % 4));
  return (part < 4 ? q : q >> 4) & 0x0F0F0F0Fu;
}

// One superblock of s file blocks (block_bytes each) -> packed bytes at out.
void pack_superblock(DType t, const std::byte* blocks, int s, std::byte* out) {
  const int block_bytes = dtype_info(t).block_bytes;
  const int lanes = lanes_per_block(s);
  uint8_t u[32 * kMaxSuperblockBlocks] = {};  // element bytes at their register positions
  for (int b = 0; b < s; ++b) {
    const std::byte* block = blocks + b * block_bytes;
    std::memcpy(out + 2 * b, block, 2);                                    // d
    if (t == DType::Q4_1) std::memcpy(out + 2 * s + 2 * b, block + 2, 2);  // m
    for (int part = 0; part < 8; ++part) {
      const uint32_t v = part_bytes(t, block, part);
      std::memcpy(u + 32 * (part / lanes) + 4 * (b * lanes + part % lanes), &v, 4);
    }
  }
  std::byte* elements = out + (t == DType::Q4_1 ? 4 : 2) * s;
  if (t == DType::Q8_0) {
    std::memcpy(elements, u, 32 * static_cast<std::size_t>(s));
    return;
  }
  const int h = 16 * s < 32 ? 16 * s : 32;  // nibble chunk bytes
  for (int c = 0; c < 16 * s / h; ++c) {
    for (int q = 0; q < h; q += 4) {
      const uint32_t v = load32(u + 2 * h * c + q) | (load32(u + 2 * h * c + h + q) << 4);
      std::memcpy(elements + h * c + q, &v, 4);
    }
  }
}

}  // namespace

void pack_rows(DType wtype, const std::byte* src, std::size_t src_stride, int64_t rows, int64_t k, std::byte* dst) {
  const int64_t blocks = k / 32;
  const std::size_t block_bytes = static_cast<std::size_t>(dtype_info(wtype).block_bytes);
  const std::size_t row_bytes = static_cast<std::size_t>(blocks) * block_bytes;
  for (int64_t r = 0; r < rows; ++r) {
    const std::byte* in = src + static_cast<std::size_t>(r) * src_stride;
    std::byte* out = dst + static_cast<std::size_t>(r) * row_bytes;
    for (int64_t b = 0; b < blocks;) {
      const int s = superblock_blocks(b, blocks);
      pack_superblock(wtype, in + b * block_bytes, s, out + b * block_bytes);
      b += s;
    }
  }
}

}  // namespace eaglerun::kernels::avx2
