// Row-wise and element-wise ops (rope is in rope.cpp). Plain loops the compiler vectorises;
// reductions whose rounding matters (sums of squares, softmax normaliser) run in double.
#include "core/kernels/ops.h"

#include <cmath>
#include <limits>

#include "core/kernels/exp_kernels.h"

namespace eaglerun {

namespace {

// Rows normalised together: their sums of squares are independent dependency chains.
constexpr int64_t kNormRows = 8;

// out[i, :] = x[i, :] * (1 / sqrt(mean_sq_i + eps)) * weight for one row, given its sum of squares.
void scale_row(const float* x, const float* weight, int64_t dim, float eps, double sum_sq, float* out) {
  const float mean_sq = static_cast<float>(sum_sq / static_cast<double>(dim));
  const float scale = 1.0f / std::sqrt(mean_sq + eps);
  for (int64_t j = 0; j < dim; ++j) out[j] = weight[j] * (x[j] * scale);
}

}  // namespace

// Each row's sum of squares runs in double over j = 0, 1, ... in order (a chain of dependent
// additions); kNormRows rows advance side by side, which changes no row's chain: the bits are those
// of the row normalised alone.
void rmsnorm(const float* x, const float* weight, int64_t n, int64_t dim, float eps, float* out) {
  int64_t i = 0;
  for (; i + kNormRows <= n; i += kNormRows) {
    double sum_sq[kNormRows] = {};
    for (int64_t j = 0; j < dim; ++j) {
      for (int64_t r = 0; r < kNormRows; ++r) {
        const double v = x[(i + r) * dim + j];
        sum_sq[r] += v * v;
      }
    }
    for (int64_t r = 0; r < kNormRows; ++r) scale_row(x + (i + r) * dim, weight, dim, eps, sum_sq[r], out + (i + r) * dim);
  }
  for (; i < n; ++i) {
    double sum_sq = 0.0;
    const float* row = x + i * dim;
    for (int64_t j = 0; j < dim; ++j) sum_sq += static_cast<double>(row[j]) * row[j];
    scale_row(row, weight, dim, eps, sum_sq, out + i * dim);
  }
}

// exp(-g) with std::exp's bits in vector lanes (exp_kernels.h), then the same float operations as
// g / (1 + std::exp(-g)) * up: AVX-512 all in one loop, else exp_shifted then a loop the compiler
// vectorises.
void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  constexpr int64_t kChunk = 256;
  float e[kChunk];
  for (int64_t i0 = silu_mul_vectorised(gate, up, n, out); i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    for (int64_t i = 0; i < m; ++i) e[i] = -gate[i0 + i];
    exp_shifted(e, 0.0f, e, m);  // std::exp(-g - 0.0f), and -g - 0.0f is -g
    for (int64_t i = 0; i < m; ++i) out[i0 + i] = gate[i0 + i] / (1.0f + e[i]) * up[i0 + i];
  }
}

namespace {
// Below these sizes a parallel loop costs more than it saves (a dispatch is ~1 us).
constexpr int64_t kMinParallelNormElements = 4096;
constexpr int64_t kMinParallelSiluElements = 8192;
constexpr int64_t kSiluGrain = 256;  // elements per share, a multiple of the vector loops' widths
}  // namespace

void rmsnorm(const float* x, const float* weight, int64_t n, int64_t dim, float eps, float* out, ThreadPool& pool) {
  if (n < 2 || n * dim < kMinParallelNormElements) return rmsnorm(x, weight, n, dim, eps, out);
  pool.parallel_for(n, [&](int64_t begin, int64_t end) {
    rmsnorm(x + begin * dim, weight, end - begin, dim, eps, out + begin * dim);
  });
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out, ThreadPool& pool) {
  if (n < kMinParallelSiluElements) return silu_mul(gate, up, n, out);
  pool.parallel_for(
      n, [&](int64_t begin, int64_t end) { silu_mul(gate + begin, up + begin, end - begin, out + begin); }, kSiluGrain);
}

void softmax(float* x, int64_t n) {
  if (n <= 0) return;
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = x[i] > max ? x[i] : max;
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

int64_t argmax(const float* x, int64_t n) {
  int64_t best = 0;
  float best_value = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] > best_value) {
      best_value = x[i];
      best = i;
    }
  }
  return best;
}

void add_inplace(float* out, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] += x[i];
}

}  // namespace eaglerun
