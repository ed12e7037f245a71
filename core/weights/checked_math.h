#pragma once
// Overflow-checked unsigned arithmetic for offsets and sizes read from untrusted files.
#include <cstdint>
#include <optional>

namespace eaglerun::checked {

// a + b, or nullopt on overflow.
inline std::optional<uint64_t> add(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// a * b, or nullopt on overflow.
inline std::optional<uint64_t> mul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// The smallest multiple of alignment (a power of two) >= x, or nullopt on overflow.
inline std::optional<uint64_t> align_up(uint64_t x, uint64_t alignment) {
  auto bumped = add(x, alignment - 1);
  if (!bumped) return std::nullopt;
  return *bumped & ~(alignment - 1);
}

inline bool is_power_of_two(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

}  // namespace eaglerun::checked
