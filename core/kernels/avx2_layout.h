#pragma once
// Internal: the AVX2 kernels' layouts of quantised weight rows ("packed rows") and of quantised
// activation rows, for rows of k elements = B blocks of 32.
//
// Superblocks. A row is cut into superblocks of s = 8 blocks, then one each of s = 4, 2, 1 blocks
// as the binary digits of B mod 8 say (18 blocks: 8 + 8 + 2). In a superblock, every block owns
// L = 8 / s of the 8 int32 lanes of a 256-bit register, and its elements are spread over S = s
// registers of 32 bytes: byte u[32 i + 4 j + t] of register i, lane j (block b = j / L, part
// p = j % L), holds element 4 (i L + p) + t of block b. So each lane's dot sums whole parts of ONE
// block, and the float work per lane (convert, scale, accumulate) is paid once per superblock,
// not once per block.
//
// Packed weight rows, superblock after superblock, as many bytes per row as the file's blocks
// (so a packed row can be narrowed, copied or packed alone):
//   Q4_0: half d[s]            | nibbles[16 s]
//   Q4_1: half d[s] | half m[s] | nibbles[16 s]
//   Q8_0: half d[s]            | int8 w[32 s]   (signed, as in the file)
// Q4 nibbles come in chunks of h = min(32, 16 s) bytes: byte q of chunk c holds u[2 h c + q] in
// its low nibble and u[2 h c + h + q] in its high nibble (s >= 2: chunk c = registers 2c, 2c + 1).
//
// Activation rows (64-byte aligned), superblock after superblock, act_superblock_bytes(s) each:
//   int8  q[S][32]   round(x / dx) at the same positions u
//   float dx[8]      dx of the lane's block (max|x| / 127)
//   extra[8]         Q4_0: int32 -8 sum(lane's q)  (the start of the lane's integer dot, which
//                          then ends at sum (nibble - 8) q exactly)
//                    Q4_1: float dx * sum(lane's q) (times m: the min term)
//                    Q8_0: zero (unused)
//
// Everything here is static, so each kernel file has its own copy (see isa_kernels.h).
#include <cstddef>
#include <cstdint>

namespace eaglerun::kernels::avx2 {

inline constexpr int kMaxSuperblockBlocks = 8;

// Blocks of the superblock that starts at block `first` of a row of `blocks` blocks (superblocks
// start at multiples of 8, then at each binary digit of the remainder from the largest).
static inline int superblock_blocks(int64_t first, int64_t blocks) {
  const int64_t left = blocks - first;
  int s = kMaxSuperblockBlocks;
  while (s > left) s /= 2;
  return s;
}

// Lanes per block.
static inline int lanes_per_block(int s) { return 8 / s; }

// Bytes of one activation superblock of s blocks (s registers, dx, extra): a multiple of 32.
static inline std::size_t act_superblock_bytes(int s) { return 32 * static_cast<std::size_t>(s) + 64; }

// Bytes of one quantised activation row of `blocks` blocks (the same for every weight type),
// rounded up to 64 so that rows stay 64-byte aligned.
static inline std::size_t act_row_bytes_for(int64_t blocks) {
  std::size_t bytes = 0;
  for (int64_t b = 0; b < blocks; b += superblock_blocks(b, blocks)) {
    bytes += act_superblock_bytes(superblock_blocks(b, blocks));
  }
  return (bytes + 63) / 64 * 64;
}

}  // namespace eaglerun::kernels::avx2
