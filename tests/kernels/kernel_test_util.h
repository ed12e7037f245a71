#pragma once
// Test helpers for the kernels: weight tensors of every dtype built from random bytes, and
// independent double-precision decoders of their values (written from the GGML block definitions,
// not from the library code).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/tensor/dtype.h"
#include "core/tensor/tensor_view.h"

namespace eaglerun::test {

// The unit roundoff of fp32 (2^-24): error bounds below are multiples of it.
inline constexpr double kUlp = 1.0 / (1 << 24);

inline const DType kAllDTypes[] = {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1};

// IEEE binary16 -> double, from the definition.
inline double half_value(uint16_t h) {
  const int sign = (h >> 15) ? -1 : 1;
  const int exp = (h >> 10) & 0x1F;
  const int man = h & 0x3FF;
  if (exp == 0x1F) return man ? std::nan("") : sign * INFINITY;
  if (exp == 0) return sign * std::ldexp(static_cast<double>(man), -24);
  return sign * std::ldexp(static_cast<double>(man + 1024), exp - 25);
}

inline double bf16_value(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t u16_at(const std::byte* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// Element i of a row stored in dtype t, in double (d * q + m computed exactly).
inline double element_value(DType t, const std::byte* row, int64_t i) {
  switch (t) {
    case DType::F32: {
      float f;
      std::memcpy(&f, row + 4 * i, 4);
      return f;
    }
    case DType::F16: return half_value(u16_at(row + 2 * i));
    case DType::BF16: return bf16_value(u16_at(row + 2 * i));
    case DType::Q8_0: {
      const std::byte* b = row + 34 * (i / 32);
      return half_value(u16_at(b)) * static_cast<int8_t>(b[2 + i % 32]);
    }
    case DType::Q4_0: {
      const std::byte* b = row + 18 * (i / 32);
      const int j = static_cast<int>(i % 32);
      const int byte = static_cast<int>(b[2 + j % 16]);
      const int nib = j < 16 ? (byte & 0x0F) : (byte >> 4);
      return half_value(u16_at(b)) * (nib - 8);
    }
    case DType::Q4_1: {
      const std::byte* b = row + 20 * (i / 32);
      const int j = static_cast<int>(i % 32);
      const int byte = static_cast<int>(b[4 + j % 16]);
      const int nib = j < 16 ? (byte & 0x0F) : (byte >> 4);
      return half_value(u16_at(b)) * nib + half_value(u16_at(b + 2));
    }
  }
  return 0.0;
}

// Nearest binary16 of f, for building test data; f must be within the normal half range.
inline uint16_t half_bits_of(float f) {
  int e = std::ilogb(f);
  const double scaled = std::ldexp(std::fabs(f), 10 - e);  // in [1024, 2048)
  int man = static_cast<int>(std::nearbyint(scaled)) - 1024;
  if (man == 1024) {
    man = 0;
    ++e;
  }
  const uint16_t sign = f < 0 ? 0x8000 : 0;
  return static_cast<uint16_t>(sign | ((e + 15) << 10) | (man & 0x3FF));
}

// A weight tensor [rows, cols] that owns its bytes.
struct OwnedTensor {
  std::vector<std::byte> bytes;
  TensorView view;
};

// Random weights of type t with values of magnitude ~scale: random quant bytes, scales and mins.
inline OwnedTensor random_weights(DType t, int64_t rows, int64_t cols, uint32_t seed, float scale = 0.05f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_int_distribution<int> byte(0, 255);
  OwnedTensor w;
  const std::size_t row_bytes = storage_bytes(t, cols);
  w.bytes.resize(row_bytes * rows);
  std::byte* p = w.bytes.data();
  auto put16 = [&](std::byte* at, uint16_t v) { std::memcpy(at, &v, 2); };
  auto random_half = [&](float mag) {
    float v = unit(rng) * mag;
    if (std::fabs(v) < mag * 0.05f) v = mag * 0.05f;
    if (std::fabs(v) < 1e-4f) v = std::copysign(1e-4f, v);
    return half_bits_of(v);
  };
  for (int64_t r = 0; r < rows; ++r) {
    std::byte* row = p + r * row_bytes;
    if (t == DType::F32) {
      for (int64_t i = 0; i < cols; ++i) {
        const float v = unit(rng) * scale;
        std::memcpy(row + 4 * i, &v, 4);
      }
    } else if (t == DType::F16) {
      for (int64_t i = 0; i < cols; ++i) put16(row + 2 * i, random_half(scale));
    } else if (t == DType::BF16) {
      for (int64_t i = 0; i < cols; ++i) {
        const float v = unit(rng) * scale;
        uint32_t u;
        std::memcpy(&u, &v, 4);
        put16(row + 2 * i, static_cast<uint16_t>(u >> 16));
      }
    } else {
      const int bb = dtype_info(t).block_bytes;
      for (int64_t b = 0; b < cols / 32; ++b) {
        std::byte* blk = row + b * bb;
        for (int i = 0; i < bb; ++i) blk[i] = static_cast<std::byte>(byte(rng));
        const float qmax = t == DType::Q8_0 ? 127.0f : 8.0f;
        put16(blk, random_half(scale / qmax));
        if (t == DType::Q4_1) put16(blk + 2, random_half(scale));
      }
    }
  }
  w.view.name = std::string("w");
  w.view.dtype = t;
  w.view.shape = {rows, cols};
  w.view.data = w.bytes.data();
  w.view.nbytes = w.bytes.size();
  return w;
}

// Activations [n, k]: normal values with occasional outliers; block 1 of row 0 is all zero (when
// it exists) to exercise the max|x| = 0 case.
inline std::vector<float> random_activations(int64_t n, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, 49);
  std::vector<float> x(static_cast<std::size_t>(n * k));
  for (float& v : x) v = pick(rng) == 0 ? 8.0f * normal(rng) : normal(rng);
  if (k >= 64) {
    for (int64_t i = 32; i < 64; ++i) x[i] = 0.0f;
  }
  return x;
}

// y_exact[c, r] = sum_j w[r, j] x[c, j] in double, and sum_j |w[r, j] x[c, j]|.
struct ExactProduct {
  std::vector<double> y;    // [n, rows]
  std::vector<double> abs;  // [n, rows]
};

inline ExactProduct exact_product(const TensorView& w, const float* x, int64_t n) {
  const int64_t rows = w.rows(), k = w.cols();
  ExactProduct e{std::vector<double>(n * rows), std::vector<double>(n * rows)};
  std::vector<double> row(k);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < k; ++j) row[j] = element_value(w.dtype, w.row(r), j);
    for (int64_t c = 0; c < n; ++c) {
      double s = 0.0, a = 0.0;
      for (int64_t j = 0; j < k; ++j) {
        s += row[j] * x[c * k + j];
        a += std::fabs(row[j] * x[c * k + j]);
      }
      e.y[c * rows + r] = s;
      e.abs[c * rows + r] = a;
    }
  }
  return e;
}

}  // namespace eaglerun::test
