#include "core/kernels/packed_weights.h"

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <cstdint>
#include <tuple>

#include "core/kernels/isa_kernels.h"

namespace eaglerun {

namespace {

// data, nbytes, dtype, cols, the pack function (as an integer: ordered)
using Key = std::tuple<const std::byte*, std::size_t, DType, int64_t, std::uintptr_t>;

struct FreeDeleter {
  void operator()(std::byte* p) const { std::free(p); }
};

struct Entry {
  std::unique_ptr<std::byte, FreeDeleter> rows;
  int owners = 0;
};

struct Registry {
  std::shared_mutex mutex;
  std::map<Key, Entry> entries;
};

Registry& registry() {
  static Registry r;
  return r;
}

Key key_of(const TensorView& w, kernels::PackRowsFn pack) {
  return {w.data, w.nbytes, w.dtype, w.cols(), reinterpret_cast<std::uintptr_t>(pack)};
}

bool packable(const TensorView& w) {
  return is_quantised(w.dtype) && w.shape.size() == 2 && w.rows() > 0 && w.data != nullptr;
}

}  // namespace

PackedWeights::~PackedWeights() { release(); }

PackedWeights::PackedWeights(PackedWeights&& other) noexcept : keys_(std::move(other.keys_)) { other.keys_.clear(); }

PackedWeights& PackedWeights::operator=(PackedWeights&& other) noexcept {
  if (this != &other) {
    release();
    keys_ = std::move(other.keys_);
    other.keys_.clear();
  }
  return *this;
}

void PackedWeights::release() {
  Registry& reg = registry();
  std::unique_lock lock(reg.mutex);
  for (const Key& key : keys_) {
    const auto it = reg.entries.find(key);
    if (it != reg.entries.end() && --it->second.owners == 0) reg.entries.erase(it);
  }
  keys_.clear();
}

void PackedWeights::add(const TensorView& w, ThreadPool& pool) {
  const kernels::PackRowsFn pack = kernels::active_isa_kernels().pack_rows;
  if (pack == nullptr || !packable(w)) return;
  Registry& reg = registry();
  const Key key = key_of(w, pack);
  {
    std::unique_lock lock(reg.mutex);
    const auto it = reg.entries.find(key);
    if (it != reg.entries.end()) {
      ++it->second.owners;
      keys_.push_back(key);
      return;
    }
  }
  // Whole row tiles (pack_rows writes the last one in full), split across threads at tile borders.
  const std::size_t row_bytes = w.row_bytes();
  const int64_t padded_rows = (w.rows() + kernels::kRowTile - 1) / kernels::kRowTile * kernels::kRowTile;
  const std::size_t bytes = (static_cast<std::size_t>(padded_rows) * row_bytes + 63) / 64 * 64;
  std::unique_ptr<std::byte, FreeDeleter> rows(static_cast<std::byte*>(std::aligned_alloc(64, bytes)));
  if (!rows) throw std::bad_alloc();
  pool.parallel_for(
      w.rows(),
      [&](int64_t begin, int64_t end) {
        pack(w.dtype, w.row(begin), row_bytes, end - begin, w.cols(), rows.get() + static_cast<std::size_t>(begin) * row_bytes);
      },
      kernels::kRowTile);
  std::unique_lock lock(reg.mutex);
  Entry& e = reg.entries[key];
  if (e.owners++ == 0) e.rows = std::move(rows);  // else packed meanwhile by another owner
  keys_.push_back(key);
}

namespace kernels {

const std::byte* find_packed(const TensorView& w, PackRowsFn pack) {
  Registry& reg = registry();
  std::shared_lock lock(reg.mutex);
  const auto it = reg.entries.find(key_of(w, pack));
  return it != reg.entries.end() ? it->second.rows.get() : nullptr;
}

}  // namespace kernels

}  // namespace eaglerun
