#pragma once
// Benchmark inputs: weight tensors of a given dtype and shape filled with random bytes (block
// scales set to small normal fp16 values so that every value is finite), and random activations.
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/tensor/tensor_view.h"

namespace eaglerun::bench {

// Fills `bytes` of type t with random quant bytes and small, finite block scales.
inline void fill_synthetic(DType t, std::byte* data, std::size_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < bytes; ++i) data[i] = static_cast<std::byte>(rng() & 0xFF);
  const DTypeInfo& info = dtype_info(t);
  const uint16_t small_half = 0x2000;  // 2^-7
  for (std::size_t at = 0; at < bytes; at += info.block_bytes) {
    if (t == DType::F32) {
      const float v = static_cast<float>(rng() % 2001) * 1e-5f - 0.01f;
      std::memcpy(data + at, &v, 4);
    } else if (t == DType::F16 || t == DType::BF16) {
      const uint16_t v = t == DType::F16 ? 0x2000 : 0x3C00;
      std::memcpy(data + at, &v, 2);
    } else {
      std::memcpy(data + at, &small_half, 2);
      if (t == DType::Q4_1) std::memcpy(data + at + 2, &small_half, 2);
    }
  }
}

inline TensorView synthetic_view(DType t, int64_t rows, int64_t cols, std::byte* data) {
  TensorView v;
  v.name = std::string("synthetic");
  v.dtype = t;
  v.shape = {rows, cols};
  v.data = data;
  v.nbytes = storage_bytes(t, rows * cols);
  return v;
}

struct SyntheticTensor {
  std::vector<std::byte> bytes;
  TensorView view;
};

inline SyntheticTensor synthetic_weights(DType t, int64_t rows, int64_t cols, uint32_t seed = 1) {
  SyntheticTensor w;
  w.bytes.resize(storage_bytes(t, rows * cols));
  fill_synthetic(t, w.bytes.data(), w.bytes.size(), seed);
  w.view = synthetic_view(t, rows, cols, w.bytes.data());
  return w;
}

// Many tensors carved out of one allocation, as from one memory-mapped model file.
class SyntheticArena {
 public:
  explicit SyntheticArena(std::size_t capacity) : bytes_(capacity) {}
  TensorView add(DType t, int64_t rows, int64_t cols, uint32_t seed) {
    const std::size_t size = storage_bytes(t, rows * cols);
    if (used_ + size > bytes_.size()) throw std::length_error("SyntheticArena: capacity exceeded");
    fill_synthetic(t, bytes_.data() + used_, size, seed);
    const TensorView v = synthetic_view(t, rows, cols, bytes_.data() + used_);
    used_ += (size + 63) / 64 * 64;
    return v;
  }
  std::size_t used() const { return used_; }

 private:
  std::vector<std::byte> bytes_;
  std::size_t used_ = 0;
};

inline std::vector<float> synthetic_activations(int64_t n, int64_t k, uint32_t seed = 2) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(n * k));
  for (float& v : x) v = normal(rng);
  return x;
}

}  // namespace eaglerun::bench
