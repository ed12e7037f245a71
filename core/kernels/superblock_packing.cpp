// The AVX2 kernels' packed weight rows (avx2_layout.h), written from the file's blocks: superblocks
// of up to 8 blocks in 32-byte registers, Q8_0 signed. Plain C++: a layout change only, run at load
// time (or on the fly for weights not packed then).
#include <cstring>

#include "core/kernels/kernels_avx2.h"

namespace eaglerun::kernels {

namespace {

// The superblock geometry (avx2_layout.h: 32-byte registers, 8 lanes, one block each at most).
struct SuperblockShape {
  int register_bytes;
  int max_blocks;  // blocks of a full superblock: register_bytes / 4 lanes, one block each
};
constexpr SuperblockShape kAvx2Shape{32, 8};
constexpr int kMaxBlocks = 16;

uint32_t load32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Elements 4 part .. 4 part + 3 (part < 8) of a file block as the bytes the kernels multiply:
// nibbles for Q4_0 / Q4_1, w for Q8_0.
uint32_t part_bytes(DType t, const std::byte* block, int part) {
  if (t == DType::Q8_0) return load32(block + 2 + 4 * part);
  const uint32_t q = load32(block + (t == DType::Q4_1 ? 4 : 2) + 4 * (part % 4));
  return (part < 4 ? q : q >> 4) & 0x0F0F0F0Fu;
}

// One superblock of s file blocks (block_bytes each) -> packed bytes at out: d[s] (and m[s] for
// Q4_1), then the elements, byte u[R i + 4 j + t] of register i, lane j (block j / L, part j % L)
// = element 4 (i L + p) + t, with R the register bytes and L = min(R / 4 / s, 8) lanes per block;
// Q4 nibbles in chunks of h = min(R, 16 s) bytes, byte q of chunk c holding u[2 h c + q] in its low
// nibble and u[2 h c + h + q] in its high nibble.
void pack_superblock(const SuperblockShape& shape, DType t, const std::byte* blocks, int s, std::byte* out) {
  const int block_bytes = dtype_info(t).block_bytes;
  const int lanes = shape.register_bytes / 4 / s < 8 ? shape.register_bytes / 4 / s : 8;
  uint8_t u[32 * kMaxBlocks] = {};  // element bytes at their register positions
  for (int b = 0; b < s; ++b) {
    const std::byte* block = blocks + b * block_bytes;
    std::memcpy(out + 2 * b, block, 2);                                    // d
    if (t == DType::Q4_1) std::memcpy(out + 2 * s + 2 * b, block + 2, 2);  // m
    for (int part = 0; part < 8; ++part) {
      const uint32_t v = part_bytes(t, block, part);
      std::memcpy(u + shape.register_bytes * (part / lanes) + 4 * (b * lanes + part % lanes), &v, 4);
    }
  }
  std::byte* elements = out + (t == DType::Q4_1 ? 4 : 2) * s;
  if (t == DType::Q8_0) {
    std::memcpy(elements, u, 32 * static_cast<std::size_t>(s));
    return;
  }
  const int h = 16 * s < shape.register_bytes ? 16 * s : shape.register_bytes;  // nibble chunk bytes
  for (int c = 0; c < 16 * s / h; ++c) {
    for (int q = 0; q < h; q += 4) {
      const uint32_t v = load32(u + 2 * h * c + q) | (load32(u + 2 * h * c + h + q) << 4);
      std::memcpy(elements + h * c + q, &v, 4);
    }
  }
}

// Superblocks of max_blocks while they last, then one per binary digit of the rest, largest first.
void pack_rows(const SuperblockShape& shape, DType wtype, const std::byte* src, std::size_t src_stride, int64_t rows,
               int64_t k, std::byte* dst) {
  const int64_t blocks = k / 32;
  const std::size_t block_bytes = static_cast<std::size_t>(dtype_info(wtype).block_bytes);
  const std::size_t row_bytes = static_cast<std::size_t>(blocks) * block_bytes;
  for (int64_t r = 0; r < rows; ++r) {
    const std::byte* in = src + static_cast<std::size_t>(r) * src_stride;
    std::byte* out = dst + static_cast<std::size_t>(r) * row_bytes;
    for (int64_t b = 0; b < blocks;) {
      int s = shape.max_blocks;
      while (s > blocks - b) s /= 2;
      pack_superblock(shape, wtype, in + b * block_bytes, s, out + b * block_bytes);
      b += s;
    }
  }
}

}  // namespace

void avx2::pack_rows(DType wtype, const std::byte* src, std::size_t src_stride, int64_t rows, int64_t k,
                     std::byte* dst) {
  kernels::pack_rows(kAvx2Shape, wtype, src, src_stride, rows, k, dst);
}

}  // namespace eaglerun::kernels
