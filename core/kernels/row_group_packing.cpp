// The AVX-512 kernels' row groups (avx512_layout.h), written from the file's blocks: 16 rows at a
// time, each group block holding block b of the 16 rows with one row per int32 lane. Plain C++: a
// layout change only, run at load time (or on the fly for weights not packed then).
#include <cstring>

#include "core/kernels/avx512_layout.h"
#include "core/kernels/kernels_avx512.h"

namespace eaglerun::kernels {

namespace {

// Row `lane`'s block b (file bytes at `block`) into the group block at out: its d (and m), and its
// 32 elements at byte 4 lane + t of register i = element 4 i + t (u = w + 128 for Q8_0; Q4
// nibbles: register 2 j in the low and 2 j + 1 in the high nibbles of chunk j).
void pack_lane(DType t, const std::byte* block, int lane, std::byte* out) {
  std::memcpy(out + 2 * lane, block, 2);  // d
  if (t == DType::Q4_1) std::memcpy(out + 32 + 2 * lane, block + 2, 2);  // m
  std::byte* elements = out + (t == DType::Q4_1 ? 64 : 32);
  if (t == DType::Q8_0) {
    for (int e = 0; e < 32; ++e) {
      elements[64 * (e / 4) + 4 * lane + e % 4] = static_cast<std::byte>(static_cast<uint8_t>(block[2 + e]) ^ 0x80u);
    }
    return;
  }
  const std::byte* nibbles = block + (t == DType::Q4_1 ? 4 : 2);  // byte e: element e low, e + 16 high
  auto element = [&](int e) { return e < 16 ? static_cast<uint8_t>(nibbles[e]) & 0x0F : static_cast<uint8_t>(nibbles[e - 16]) >> 4; };
  for (int j = 0; j < 4; ++j) {
    for (int t4 = 0; t4 < 4; ++t4) {
      const int low = element(4 * (2 * j) + t4), high = element(4 * (2 * j + 1) + t4);
      elements[64 * j + 4 * lane + t4] = static_cast<std::byte>(low | (high << 4));
    }
  }
}

}  // namespace

void avx512::pack_rows(DType wtype, const std::byte* src, std::size_t src_stride, int64_t rows, int64_t k,
                       std::byte* dst) {
  const int64_t blocks = k / 32;
  const std::size_t block_bytes = static_cast<std::size_t>(dtype_info(wtype).block_bytes);
  const std::size_t group_block = group_block_bytes(block_bytes);
  const int64_t groups = (rows + kGroupRows - 1) / kGroupRows;
  std::memset(dst, 0, static_cast<std::size_t>(groups * blocks) * group_block);  // rows past the end: zero
  for (int64_t r = 0; r < rows; ++r) {
    const std::byte* in = src + static_cast<std::size_t>(r) * src_stride;
    std::byte* group = dst + static_cast<std::size_t>(r / kGroupRows * blocks) * group_block;
    for (int64_t b = 0; b < blocks; ++b) {
      pack_lane(wtype, in + b * block_bytes, static_cast<int>(r % kGroupRows), group + b * group_block);
    }
  }
}

}  // namespace eaglerun::kernels
