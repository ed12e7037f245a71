#pragma once
// BPE merge lookup: (left id, right id) -> (rank, merged id), as an open-addressing hash table with
// linear probing. Built once, then read-only (safe to share across threads).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace eaglerun {

class MergeTable {
 public:
  struct Merge {
    int32_t rank;
    int32_t result;
  };

  // Inserts or replaces the entry for (left, right); ids must be >= 0.
  void insert_or_assign(int32_t left, int32_t right, Merge merge);

  // The entry for (left, right), or nullptr.
  const Merge* find(int32_t left, int32_t right) const {
    if (slots_.empty()) return nullptr;
    const uint64_t key = pack(left, right);
    for (size_t i = slot_of(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s.merge;
      if (s.key == kEmpty) return nullptr;
    }
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key;
    Merge merge;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t pack(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  size_t slot_of(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_) & mask_; }
  void grow();

  std::vector<Slot> slots_;  // capacity a power of two, at most half full
  size_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;
};

}  // namespace eaglerun
