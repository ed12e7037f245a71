#include "tests/cuda/checked_products.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "core/kernels/matmul.h"

namespace eaglerun::test {
namespace {

// x as the product reads it: rounded to a 16-bit weight's type and back (round to nearest even, as
// cuda::fp32_to_16bit), unchanged for F32.
float as_multiplied(DType type, float x) {
  if (type == DType::BF16) return bf16_to_fp32(fp32_to_bf16(x));
  if (type == DType::F16) return fp16_to_fp32(fp32_to_fp16(x));
  return x;
}

float weight_at(const TensorView& w, int64_t o, int64_t p) {
  const std::byte* row = w.row(o);
  if (w.dtype == DType::F32) {
    float v;
    std::memcpy(&v, row + p * 4, 4);
    return v;
  }
  uint16_t h;
  std::memcpy(&h, row + p * 2, 2);
  return w.dtype == DType::BF16 ? bf16_to_fp32(h) : fp16_to_fp32(h);
}

}  // namespace

void CheckedProducts::matmul(const TensorView& w, const float* x, int64_t n, float* y) {
  if (w.dtype != DType::F32 && w.dtype != DType::F16 && w.dtype != DType::BF16) {
    ++check_->unchecked;
    return inner_->matmul(w, x, n, y);
  }
  const int64_t out = w.rows(), in = w.cols();
  std::vector<float> xs(static_cast<std::size_t>(n * in)), ys(static_cast<std::size_t>(n * out));
  inner_->download(xs.data(), x, n * in * static_cast<int64_t>(sizeof(float)));  // x[n, in] as the product got it
  inner_->matmul(w, x, n, y);
  inner_->download(ys.data(), y, n * out * static_cast<int64_t>(sizeof(float)));
  ++check_->products;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < out; ++o) {
      double exact = 0, magnitude = 0, unrounded = 0;
      for (int64_t p = 0; p < in; ++p) {
        const double wp = weight_at(w, o, p), xp = xs[i * in + p];
        const double term = wp * as_multiplied(w.dtype, xs[i * in + p]);
        exact += term;
        magnitude += std::fabs(term);
        unrounded += wp * xp;
      }
      const double bound = static_cast<double>(in) * 0x1p-23 * magnitude;
      const double got = ys[i * out + o], error = std::fabs(got - exact);
      // bound 0: every term is 0, so the sum must be exactly 0; a NaN is the worst of all.
      const double ratio = std::isnan(got) ? INFINITY : bound > 0 ? error / bound : (error > 0 ? INFINITY : 0);
      ++check_->outputs;
      if (std::fabs(unrounded - exact) > 2 * bound) ++check_->rounding_shows;
      if (ratio > check_->worst) {
        check_->worst = ratio;
        check_->worst_at = w.name + " " + w.shape_string() + " row " + std::to_string(i) + " output " +
                           std::to_string(o) + ": " + std::to_string(got) + " vs exact " + std::to_string(exact) +
                           " (bound " + std::to_string(bound) + ")";
      }
    }
  }
}

}  // namespace eaglerun::test
