#pragma once
// Internal: the two implementations behind matmul_rows and matmul_many (arguments already
// checked, n > 0).
#include <cstdint>
#include <span>

#include "core/kernels/thread_pool.h"
#include "core/tensor/tensor_view.h"

namespace eaglerun::kernels {

// Rows [row_begin, row_begin + rows) of w; y[c * ldy + r] for r < rows, c < n.
struct RowRange {
  const TensorView* w;
  int64_t row_begin;
  int64_t rows;
  float* y;
  int64_t ldy;
};

// All ranges read the same x[n, k] (k = cols of every w).
void matmul_reference(std::span<const RowRange> ranges, const float* x, int64_t n, ThreadPool& pool);
void matmul_fast(std::span<const RowRange> ranges, const float* x, int64_t n, ThreadPool& pool);

}  // namespace eaglerun::kernels
