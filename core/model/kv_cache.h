#pragma once
// Keys and values of every cached token, per layer, preallocated to a fixed capacity.
//   layer(l).keys, layer(l).values: [n_kv_heads, capacity, head_dim] elements of dtype(); rows
//   [0, size()) of each KV head are valid. Head-major, so attention over one KV head streams through
//   contiguous memory.
// dtype() is F32, or F16 where the fast path keeps its cache (Model::make_cache): a row written as
// fp32 is rounded to the nearest fp16 (ties to even) once, when it enters the cache.
// The rows live in a backend's memory (the model's device; host memory by default) and are
// written and compacted by its ops.
// A forward pass over n new tokens writes rows [size(), size() + n) and then commit(n)s them.
// After tree verification, keep(indices) compacts the accepted path; truncate(n) rolls back.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/backend/backend.h"
#include "core/backend/cpu_backend.h"
#include "core/config/model_config.h"
#include "core/tensor/dtype.h"

namespace eaglerun {

class KvCache {
 public:
  // n_layers layers of n_kv_heads x head_dim elements of dtype (F32 or F16) per token in `backend`'s
  // memory (host memory by default); throws Error if capacity < 1.
  KvCache(int64_t n_layers, int64_t n_kv_heads, int64_t head_dim, int64_t capacity, DType dtype = DType::F32,
          std::shared_ptr<Backend> backend = host_backend());
  KvCache(const ModelConfig& config, int64_t capacity, DType dtype = DType::F32,
          std::shared_ptr<Backend> backend = host_backend())
      : KvCache(config.n_layers, config.n_kv_heads, config.head_dim, capacity, dtype, backend) {}

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  int64_t kv_dim() const { return n_kv_heads_ * head_dim_; }
  int64_t n_layers() const { return static_cast<int64_t>(keys_.size()); }
  DType dtype() const { return dtype_; }
  // Bytes of one token's keys and values over every layer.
  int64_t bytes_per_token() const;

  KvRows layer(int64_t l) const { return storage(l).rows(); }
  // Rows [first, first + n) of layer l <- k, v: [n, kv_dim] fp32 in the backend's memory, rounded to dtype().
  void write(int64_t l, int64_t first, const float* k, const float* v, int64_t n);
  // Row r of layer l widened to fp32 on the host: k, v: [kv_dim].
  void read(int64_t l, int64_t r, float* k, float* v) const;

  // Throws Error when size() + n exceeds the capacity.
  void reserve_rows(int64_t n) const;
  // Marks the n rows after size() as valid (written by the forward pass).
  void commit(int64_t n);
  // Keeps rows `indices` (strictly increasing, each < size()) in that order: row i <- row indices[i].
  void keep(std::span<const int64_t> indices);
  // Drops every row from n on.
  void truncate(int64_t n);

 private:
  // Bytes of one KV head's part of a row.
  std::size_t head_row_bytes() const;
  // Byte offset of KV head g's part of row r in a layer.
  std::size_t offset(int64_t g, int64_t r) const;
  KvLayer storage(int64_t l) const;

  int64_t n_kv_heads_;
  int64_t head_dim_;
  int64_t capacity_;
  int64_t size_ = 0;
  DType dtype_;
  std::shared_ptr<Backend> backend_;
  std::vector<DeviceBuffer> keys_;    // [n_layers][n_kv_heads, capacity, head_dim] of dtype_
  std::vector<DeviceBuffer> values_;  // [n_layers][n_kv_heads, capacity, head_dim] of dtype_
};

}  // namespace eaglerun
