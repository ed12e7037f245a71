#pragma once
// Internal: the AVX-512 kernels' layouts of quantised weights ("row groups") and of quantised
// activation rows, for rows of k elements = B blocks of 32.
//
// Row groups. Weight rows are packed 16 at a time, one row per int32 lane of a vpdpbusd: one
// register multiplies 4 elements of each of 16 rows by the same 4 elements of one activation row
// (a broadcast dword), so every lane ends at one output's integer dot and no output needs a
// horizontal sum. A group is B group blocks, one per block b of its rows, each
//   Q4_0: half d[16]             | nibbles[4][64]
//   Q4_1: half d[16] | half m[16] | nibbles[4][64]
//   Q8_0: half d[16]             | uint8 u[8][64] = w + 128
// = 16 x the file's block bytes, so a group takes the bytes of its 16 rows and group g starts
// where row 16 g would. Register i (i = 0..7) of a group block holds, at byte 4 l + t, element
// 4 i + t of row l's block: u = w + 128 for Q8_0, the nibble for Q4; Q4 nibble chunk j holds
// register 2 j in its low nibbles and register 2 j + 1 in its high nibbles. Rows past the matrix's
// end in its last group are zero.
//
// Activation rows (64-byte aligned), padded to a multiple of 64 bytes:
//   int8  q[B][32]   round(x / dx), block after block, elements in order
//   float dx[B]      max|x| / 127 of each block
//   extra[B]         Q4_0: int32 -8 sum(q)   } the start of the block's integer dot, which then
//                    Q8_0: int32 -128 sum(q) } ends at sum (w - 8 or w) q exactly
//                    Q4_1: float dx * sum(q) (times m: the min term)
//
// Everything here is static, so each kernel file has its own copy (see isa_kernels.h).
#include <cstddef>
#include <cstdint>

namespace eaglerun::kernels::avx512 {

// Weight rows per group: the int32 lanes of a 512-bit register.
inline constexpr int kGroupRows = 16;

// Bytes of one group block: 16 file blocks of `block_bytes`.
static inline std::size_t group_block_bytes(std::size_t block_bytes) { return kGroupRows * block_bytes; }

// Offsets in a quantised activation row of `blocks` blocks.
static inline std::size_t act_dx_offset(int64_t blocks) { return 32 * static_cast<std::size_t>(blocks); }
static inline std::size_t act_extra_offset(int64_t blocks) { return 36 * static_cast<std::size_t>(blocks); }

// Bytes of one quantised activation row of `blocks` blocks (the same for every weight type).
static inline std::size_t act_row_bytes_for(int64_t blocks) {
  return (40 * static_cast<std::size_t>(blocks) + 63) / 64 * 64;
}

}  // namespace eaglerun::kernels::avx512
