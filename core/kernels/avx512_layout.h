#pragma once
// Internal: the AVX-512 kernels' layouts of quantised weight rows ("packed rows") and of quantised
// activation rows, for rows of k elements = B blocks of 32.
//
// Superblocks. A row is cut into superblocks of s = 16 blocks, then one each of s = 8, 4, 2, 1
// blocks as the binary digits of B mod 16 say (18 blocks: 16 + 2). In a superblock, every block
// owns L = 16 / s of the 16 int32 lanes of a vpdpbusd (L = 8 and lanes 8..15 empty when s = 1), and
// its elements are spread over S = max(s / 2, 1) registers of 64 bytes: byte u[64 i + 4 j + t]
// of register i, lane j (block b = j / L, part p = j % L), holds element 4 (i L + p) + t of block b.
// So each lane's int32 dot sums whole parts of ONE block, and the float work per lane (convert,
// scale, accumulate) is paid once per superblock, not once per 64 elements.
//
// Packed weight rows, superblock after superblock, as many bytes per row as the file's blocks
// (so a packed row can be narrowed, copied or packed alone):
//   Q4_0: half d[s]            | nibbles[16 s]
//   Q4_1: half d[s] | half m[s] | nibbles[16 s]
//   Q8_0: half d[s]            | uint8 u[32 s] = w + 128
// Q4 nibbles come in chunks of h = min(64, 16 s) bytes: byte q of chunk c holds u[2 h c + q] in
// its low nibble and u[2 h c + h + q] in its high nibble (s >= 4: chunk c = registers 2c, 2c + 1).
//
// Activation rows (64-byte aligned), superblock after superblock, kActSuperblockBytes(S) each:
//   int8  q[S][64]   round(x / dx) at the same positions u (zero in empty lanes)
//   float dx[16]     dx of the lane's block (max|x| / 127)
//   extra[16]        Q4_0: int32 -8 sum(lane's q)   } the start of the lane's integer dot, which
//                    Q8_0: int32 -128 sum(lane's q) } then ends at sum (w - 8 or w) q exactly
//                    Q4_1: float dx * sum(lane's q) (times m: the min term)
//
// Everything here is static, so each kernel file has its own copy (see isa_kernels.h).
#include <cstddef>
#include <cstdint>

namespace eaglerun::kernels::avx512 {

inline constexpr int kMaxSuperblockBlocks = 16;

// Blocks of the superblock that starts at block `first` of a row of `blocks` blocks (superblocks
// start at multiples of 16, then at each binary digit of the remainder from the largest).
static inline int superblock_blocks(int64_t first, int64_t blocks) {
  const int64_t left = blocks - first;
  int s = kMaxSuperblockBlocks;
  while (s > left) s /= 2;
  return s;
}

// 64-byte registers of a superblock of s blocks.
static inline int superblock_registers(int s) { return s >= 2 ? s / 2 : 1; }
// Lanes per block.
static inline int lanes_per_block(int s) { return s >= 2 ? 16 / s : 8; }

// Bytes of one activation superblock with S registers.
static inline std::size_t act_superblock_bytes(int registers) { return 64 * static_cast<std::size_t>(registers) + 128; }

// Bytes of one quantised activation row of `blocks` blocks (the same for every weight type).
static inline std::size_t act_row_bytes_for(int64_t blocks) {
  std::size_t bytes = 0;
  for (int64_t b = 0; b < blocks; b += superblock_blocks(b, blocks)) {
    bytes += act_superblock_bytes(superblock_registers(superblock_blocks(b, blocks)));
  }
  return bytes;
}

}  // namespace eaglerun::kernels::avx512
