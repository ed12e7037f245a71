#include "parallel/tensor_slices.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"

namespace eaglerun {
namespace {

std::string range_text(int64_t begin, int64_t end) {
  std::string s = "[";
  s.append(std::to_string(begin)).append(", ").append(std::to_string(end)).append(")");
  return s;
}

}  // namespace

TensorView slice_rows(const TensorView& w, int64_t begin, int64_t end) {
  require(w.shape.size() == 2, "slice_rows: '" + w.name + "' is not 2-D");
  require(0 <= begin && begin < end && end <= w.rows(),
          "rows " + range_text(begin, end) + " are outside '" + w.name + "' " + w.shape_string());
  TensorView v = w;
  v.name = w.name + "[rows " + range_text(begin, end) + "]";
  v.shape = {end - begin, w.cols()};
  v.data = w.row(begin);
  v.nbytes = static_cast<std::size_t>(end - begin) * w.row_bytes();
  return v;
}

TensorView copy_columns(const TensorView& w, int64_t begin, int64_t end, OwnedBuffers& owned) {
  require(w.shape.size() == 2, "copy_columns: '" + w.name + "' is not 2-D");
  require(0 <= begin && begin < end && end <= w.cols(),
          "columns " + range_text(begin, end) + " are outside '" + w.name + "' " + w.shape_string());
  const int64_t block = dtype_info(w.dtype).block_elems;
  require(begin % block == 0 && end % block == 0,
          "'" + w.name + "' cannot be split at columns " + range_text(begin, end) + ": " +
              std::string(dtype_info(w.dtype).name) + " stores blocks of " + std::to_string(block));
  const std::size_t skip = storage_bytes(w.dtype, begin), width = storage_bytes(w.dtype, end - begin);
  auto buffer = std::make_shared<std::vector<std::byte>>(static_cast<std::size_t>(w.rows()) * width);
  for (int64_t r = 0; r < w.rows(); ++r) std::memcpy(buffer->data() + r * width, w.row(r) + skip, width);
  TensorView v = w;
  v.name = w.name + "[columns " + range_text(begin, end) + "]";
  v.shape = {w.rows(), end - begin};
  v.data = buffer->data();
  v.nbytes = buffer->size();
  owned.push_back(std::move(buffer));
  return v;
}

Range split_range(int64_t n, int parts, int index, int64_t align) {
  require(parts >= 1 && index >= 0 && index < parts && align >= 1, "split_range: bad arguments");
  require(n % align == 0, std::to_string(n) + " is not a multiple of " + std::to_string(align));
  const int64_t units = n / align;
  require(units >= parts, "cannot split " + std::to_string(n) + " into " + std::to_string(parts) + " parts of " +
                              std::to_string(align));
  const int64_t base = units / parts, extra = units % parts;
  const int64_t begin = index * base + std::min<int64_t>(index, extra);
  const int64_t size = base + (index < extra ? 1 : 0);
  return {begin * align, (begin + size) * align};
}

}  // namespace eaglerun
