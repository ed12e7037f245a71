#include "core/model/kv_cache.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/kernels/matmul.h"

namespace eaglerun {

KvCache::KvCache(int64_t n_layers, int64_t n_kv_heads, int64_t head_dim, int64_t capacity, DType dtype)
    : n_kv_heads_(n_kv_heads), head_dim_(head_dim), capacity_(capacity), dtype_(dtype) {
  require(capacity >= 1 && n_layers >= 1 && n_kv_heads >= 1 && head_dim >= 1,
          "KV cache needs positive capacity, layers, heads and head size");
  require(dtype == DType::F32 || dtype == DType::F16, "a KV cache holds F32 or F16 rows");
  const std::size_t bytes = offset(n_kv_heads, 0);
  keys_.assign(n_layers, std::vector<std::byte>(bytes));
  values_.assign(n_layers, std::vector<std::byte>(bytes));
}

std::size_t KvCache::head_row_bytes() const { return storage_bytes(dtype_, head_dim_); }

std::size_t KvCache::offset(int64_t g, int64_t r) const {
  return static_cast<std::size_t>(g * capacity_ + r) * head_row_bytes();
}

int64_t KvCache::bytes_per_token() const {
  return 2 * n_layers() * n_kv_heads_ * static_cast<int64_t>(head_row_bytes());
}

void KvCache::write(int64_t l, int64_t first, const float* k, const float* v, int64_t n) {
  require(l >= 0 && l < n_layers() && first >= 0 && n >= 0 && first + n <= capacity_,
          "KvCache::write: rows outside the cache");
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t g = 0; g < n_kv_heads_; ++g) {
      const int64_t src = i * kv_dim() + g * head_dim_;
      encode(dtype_, k + src, head_dim_, keys_[l].data() + offset(g, first + i));
      encode(dtype_, v + src, head_dim_, values_[l].data() + offset(g, first + i));
    }
  }
}

void KvCache::read(int64_t l, int64_t r, float* k, float* v) const {
  for (int64_t g = 0; g < n_kv_heads_; ++g) {
    dequantize(dtype_, keys_[l].data() + offset(g, r), head_dim_, k + g * head_dim_);
    dequantize(dtype_, values_[l].data() + offset(g, r), head_dim_, v + g * head_dim_);
  }
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
  const std::size_t row = head_row_bytes();
  for (std::size_t l = 0; l < keys_.size(); ++l) {
    for (int64_t g = 0; g < n_kv_heads_; ++g) {
      for (std::size_t i = 0; i < indices.size(); ++i) {
        if (indices[i] == static_cast<int64_t>(i)) continue;  // indices[i] >= i: copying forward never
                                                              // overwrites a row still needed
        const auto to = static_cast<int64_t>(i);
        std::memcpy(keys_[l].data() + offset(g, to), keys_[l].data() + offset(g, indices[i]), row);
        std::memcpy(values_[l].data() + offset(g, to), values_[l].data() + offset(g, indices[i]), row);
      }
    }
  }
  size_ = static_cast<int64_t>(indices.size());
}

void KvCache::truncate(int64_t n) {
  require(n >= 0 && n <= size_, "KvCache::truncate: " + std::to_string(n) + " is outside [0, size()]");
  size_ = n;
}

}  // namespace eaglerun
