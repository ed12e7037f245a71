#pragma once
// Keys and values of every cached token, per layer, preallocated to a fixed capacity.
//   keys(l), values(l): [capacity, kv_dim] fp32; rows [0, size()) are valid.
// A forward pass over n new tokens writes rows [size(), size() + n) and then commit(n)s them.
// After tree verification, keep(indices) compacts the accepted path; truncate(n) rolls back.
#include <cstdint>
#include <span>
#include <vector>

#include "core/config/model_config.h"

namespace eaglerun {

class KvCache {
 public:
  // n_layers layers of kv_dim floats per token; throws Error if capacity < 1.
  KvCache(int64_t n_layers, int64_t kv_dim, int64_t capacity);
  KvCache(const ModelConfig& config, int64_t capacity) : KvCache(config.n_layers, config.kv_dim(), capacity) {}

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  int64_t kv_dim() const { return kv_dim_; }
  int64_t n_layers() const { return static_cast<int64_t>(keys_.size()); }

  float* keys(int64_t layer) { return keys_[layer].data(); }
  float* values(int64_t layer) { return values_[layer].data(); }
  const float* keys(int64_t layer) const { return keys_[layer].data(); }
  const float* values(int64_t layer) const { return values_[layer].data(); }

  // Throws Error when size() + n exceeds the capacity.
  void reserve_rows(int64_t n) const;
  // Marks the n rows after size() as valid (written by the forward pass).
  void commit(int64_t n);
  // Keeps rows `indices` (strictly increasing, each < size()) in that order: row i <- row indices[i].
  void keep(std::span<const int64_t> indices);
  // Drops every row from n on.
  void truncate(int64_t n);

 private:
  int64_t kv_dim_;
  int64_t capacity_;
  int64_t size_ = 0;
  std::vector<std::vector<float>> keys_;    // [n_layers][capacity * kv_dim]
  std::vector<std::vector<float>> values_;  // [n_layers][capacity * kv_dim]
};

}  // namespace eaglerun
