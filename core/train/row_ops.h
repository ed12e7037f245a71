#pragma once
// Internal: the plain loops over one row that the attention passes share (float and double).
#include <cstdint>

namespace eaglerun::train {

// sum_i a[i] b[i], in ascending i.
template <typename T>
T dot(const T* a, const T* b, int64_t n) {
  T s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// y += alpha x
template <typename T>
void axpy(T alpha, const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace eaglerun::train
