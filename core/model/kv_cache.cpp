#include "core/model/kv_cache.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/kernels/matmul.h"

namespace eaglerun {

KvCache::KvCache(int64_t n_layers, int64_t n_kv_heads, int64_t head_dim, int64_t capacity, DType dtype,
                 std::shared_ptr<Backend> backend)
    : n_kv_heads_(n_kv_heads), head_dim_(head_dim), capacity_(capacity), dtype_(dtype), backend_(std::move(backend)) {
  require(capacity >= 1 && n_layers >= 1 && n_kv_heads >= 1 && head_dim >= 1,
          "KV cache needs positive capacity, layers, heads and head size");
  require(dtype == DType::F32 || dtype == DType::F16, "a KV cache holds F32 or F16 rows");
  const auto bytes = static_cast<int64_t>(offset(n_kv_heads, 0));
  for (int64_t l = 0; l < n_layers; ++l) {
    keys_.push_back(backend_->allocate(bytes));
    values_.push_back(backend_->allocate(bytes));
    backend_->zero(keys_.back().data(), bytes);
    backend_->zero(values_.back().data(), bytes);
  }
}

KvLayer KvCache::storage(int64_t l) const {
  return {keys_[l].data(), values_[l].data(), n_kv_heads_, capacity_, head_dim_, dtype_};
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
  if (n > 0) backend_->kv_write(storage(l), first, k, v, n);
}

void KvCache::read(int64_t l, int64_t r, float* k, float* v) const {
  require(l >= 0 && l < n_layers() && r >= 0 && r < capacity_, "KvCache::read: row outside the cache");
  std::vector<std::byte> row(head_row_bytes());
  const auto bytes = static_cast<int64_t>(row.size());
  for (int64_t g = 0; g < n_kv_heads_; ++g) {
    backend_->download(row.data(), keys_[l].as<std::byte>() + offset(g, r), bytes);
    dequantize(dtype_, row.data(), head_dim_, k + g * head_dim_);
    backend_->download(row.data(), values_[l].as<std::byte>() + offset(g, r), bytes);
    dequantize(dtype_, row.data(), head_dim_, v + g * head_dim_);
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
  std::size_t moved = 0;  // the first row that is not already in place
  while (moved < indices.size() && indices[moved] == static_cast<int64_t>(moved)) ++moved;
  if (moved < indices.size()) {
    for (int64_t l = 0; l < n_layers(); ++l) backend_->kv_keep(storage(l), indices);
  }
  size_ = static_cast<int64_t>(indices.size());
}

void KvCache::truncate(int64_t n) {
  require(n >= 0 && n <= size_, "KvCache::truncate: " + std::to_string(n) + " is outside [0, size()]");
  size_ = n;
}

}  // namespace eaglerun
