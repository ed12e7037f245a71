// Precision::Reference: each weight row dequantised exactly to fp32 (dequantize.cpp), dotted with
// the fp32 activations in fp32. The sum runs in 16 interleaved partial sums that are then added
// pairwise, a fixed order independent of thread count and CPU, so results are reproducible; its
// rounding error is at most about (k/16 + 4) * 2^-24 * sum_j |w_j x_j|.
#include <vector>

#include "core/kernels/matmul.h"
#include "core/kernels/matmul_paths.h"

namespace eaglerun::kernels {

namespace {

float dot_f32(const float* a, const float* b, int64_t k) {
  constexpr int kLanes = 16;
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= k; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += a[i + j] * b[i + j];
  }
  for (int j = 0; i < k; ++i, ++j) acc[j] += a[i] * b[i];
  for (int width = kLanes / 2; width > 0; width /= 2) {
    for (int j = 0; j < width; ++j) acc[j] += acc[j + width];
  }
  return acc[0];
}

}  // namespace

void matmul_reference(std::span<const RowRange> ranges, const float* x, int64_t n, ThreadPool& pool) {
  for (const RowRange& range : ranges) {
    const TensorView& w = *range.w;
    const int64_t k = w.cols();
    pool.parallel_for(range.rows, [&](int64_t begin, int64_t end) {
      std::vector<float> row(static_cast<std::size_t>(k));  // one dequantised weight row
      for (int64_t r = begin; r < end; ++r) {
        dequantize(w.dtype, w.row(range.row_begin + r), k, row.data());
        for (int64_t c = 0; c < n; ++c) range.y[c * range.ldy + r] = dot_f32(row.data(), x + c * k, k);
      }
    }, 4);
  }
}

}  // namespace eaglerun::kernels
