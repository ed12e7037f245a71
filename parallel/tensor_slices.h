#pragma once
// Parts of a 2-D weight [out, in] (row-major, each row quantised in blocks along `in`) for one rank.
//   rows [r0, r1)    a view into the same memory (column-parallel layers, vocabulary split)
//   columns [c0, c1) copied into an owned buffer: a column slice of a row-major matrix is not
//                    contiguous, and the kernels read whole contiguous rows (row-parallel layers).
//                    c0 and c1 must fall on block boundaries of a quantised dtype.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/tensor/tensor_view.h"

namespace eaglerun {

using OwnedBuffers = std::vector<std::shared_ptr<const std::vector<std::byte>>>;

// Throws Error when the range is empty or outside the weight.
TensorView slice_rows(const TensorView& w, int64_t begin, int64_t end);
// Appends the copy's storage to `owned`. Throws Error for a range off the dtype's block grid.
TensorView copy_columns(const TensorView& w, int64_t begin, int64_t end, OwnedBuffers& owned);

// [begin, end) of part `index` when n units are split into `parts` contiguous pieces of `align`
// units each (the first n / align % parts pieces one align larger). Throws Error unless
// align divides n and every piece gets at least one align.
struct Range {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};
Range split_range(int64_t n, int parts, int index, int64_t align = 1);

}  // namespace eaglerun
