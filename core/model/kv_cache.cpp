#include "core/model/kv_cache.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace eaglerun {

KvCache::KvCache(int64_t n_layers, int64_t kv_dim, int64_t capacity) : kv_dim_(kv_dim), capacity_(capacity) {
  require(capacity >= 1 && n_layers >= 1 && kv_dim >= 1, "KV cache needs positive capacity, layers and width");
  const auto floats = static_cast<std::size_t>(capacity * kv_dim);
  keys_.assign(n_layers, std::vector<float>(floats));
  values_.assign(n_layers, std::vector<float>(floats));
}

void KvCache::reserve_rows(int64_t n) const {
  require(size_ + n <= capacity_, "context full: " + std::to_string(size_) + " cached + " + std::to_string(n) +
                                      " new tokens exceed the KV cache capacity of " + std::to_string(capacity_));
}

void KvCache::commit(int64_t n) {
  reserve_rows(n);
  size_ += n;
}

void KvCache::keep(std::span<const int64_t> indices) {
  for (std::size_t i = 0; i < indices.size(); ++i) {
    require(indices[i] >= 0 && indices[i] < size_ && (i == 0 || indices[i] > indices[i - 1]),
            "KvCache::keep: indices must be strictly increasing and below size()");
  }
  const std::size_t row = static_cast<std::size_t>(kv_dim_);
  for (std::size_t l = 0; l < keys_.size(); ++l) {
    for (std::size_t i = 0; i < indices.size(); ++i) {
      const auto src = static_cast<std::size_t>(indices[i]);
      if (src == i) continue;  // indices[i] >= i, so copying forward never overwrites a row still needed
      std::copy_n(keys_[l].data() + src * row, row, keys_[l].data() + i * row);
      std::copy_n(values_[l].data() + src * row, row, values_[l].data() + i * row);
    }
  }
  size_ = static_cast<int64_t>(indices.size());
}

void KvCache::truncate(int64_t n) {
  require(n >= 0 && n <= size_, "KvCache::truncate: " + std::to_string(n) + " is outside [0, size()]");
  size_ = n;
}

}  // namespace eaglerun
