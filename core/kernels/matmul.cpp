// Argument checks and the choice between the reference and the native kernels.
#include "core/kernels/matmul.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "core/kernels/matmul_paths.h"

namespace eaglerun {

namespace {

bool args_ok(const TensorView& w, int64_t row_begin, int64_t row_end, const float* x, int64_t n, const float* y) {
  return w.shape.size() == 2 && w.shape[0] >= 0 && w.shape[1] >= 0 &&
         w.nbytes >= static_cast<std::size_t>(w.rows()) * w.row_bytes() && (w.data != nullptr || w.nbytes == 0) &&
         0 <= row_begin && row_begin <= row_end && row_end <= w.rows() && n >= 0 &&
         (n == 0 || (x != nullptr && y != nullptr));
}

// Throws the message of the first failed check. The checks run on every call (a decode step makes
// ~200), so the message is built only when one fails.
void check_args(const TensorView& w, int64_t row_begin, int64_t row_end, const float* x, int64_t n, const float* y) {
  if (args_ok(w, row_begin, row_end, x, n, y)) return;
  const std::string what = "matmul with " + (w.name.empty() ? std::string("weight") : w.name) + " " + w.shape_string();
  require(w.shape.size() == 2, what + ": weight must be 2-D");
  require(w.shape[0] >= 0 && w.shape[1] >= 0, what + ": negative dimension");
  require(w.nbytes >= static_cast<std::size_t>(w.rows()) * w.row_bytes(), what + ": data smaller than its shape");
  require(w.data != nullptr || w.nbytes == 0, what + ": no data");
  require(0 <= row_begin && row_begin <= row_end && row_end <= w.rows(),
          what + ": rows [" + std::to_string(row_begin) + ", " + std::to_string(row_end) + ") out of range");
  require(n >= 0, what + ": negative token count");
  require(n == 0 || (x != nullptr && y != nullptr), what + ": null input or output");
}

void run(std::span<const kernels::RowRange> ranges, const float* x, int64_t n, Precision precision, ThreadPool& pool) {
  if (precision == Precision::Reference) {
    kernels::matmul_reference(ranges, x, n, pool);
  } else {
    kernels::matmul_fast(ranges, x, n, pool);
  }
}

}  // namespace

void matmul(const TensorView& w, const float* x, int64_t n, float* y, Precision precision, ThreadPool& pool) {
  matmul_rows(w, 0, w.shape.empty() ? 0 : w.rows(), x, n, y, precision, pool);
}

void matmul_rows(const TensorView& w, int64_t row_begin, int64_t row_end, const float* x, int64_t n, float* y,
                 Precision precision, ThreadPool& pool) {
  check_args(w, row_begin, row_end, x, n, y);
  if (n == 0 || row_begin == row_end) return;
  const kernels::RowRange range{&w, row_begin, row_end - row_begin, y, row_end - row_begin};
  run(std::span(&range, 1), x, n, precision, pool);
}

void matmul_many(std::span<const MatmulTarget> targets, const float* x, int64_t n, Precision precision,
                 ThreadPool& pool) {
  std::vector<kernels::RowRange> ranges;
  for (const MatmulTarget& t : targets) {
    require(t.w != nullptr, "matmul_many: null weight");
    check_args(*t.w, 0, t.w->rows(), x, n, t.y);
    if (t.w->cols() != targets.front().w->cols()) {
      require(false, "matmul_many: " + t.w->name + " " + t.w->shape_string() + " does not take the same input as " +
                         targets.front().w->name + " " + targets.front().w->shape_string());
    }
    if (t.w->rows() > 0) ranges.push_back({t.w, 0, t.w->rows(), t.y, t.w->rows()});
  }
  if (n == 0 || ranges.empty()) return;
  run(ranges, x, n, precision, pool);
}

}  // namespace eaglerun
