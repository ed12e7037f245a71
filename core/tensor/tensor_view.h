#pragma once
// A read-only view of one weight tensor that lives in a memory-mapped file (or in an owned buffer).
// Shapes are row-major, outermost first, as PyTorch writes them: a Linear weight is [out, in]
// and each row (one output) is contiguous, quantised in blocks along the row.
// (GGUF lists dims innermost first; the GGUF loader reverses them.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor/dtype.h"

namespace eaglerun {

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;     // outermost first
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;         // == rows() * row_bytes()

  int64_t numel() const;
  int64_t cols() const { return shape.empty() ? 1 : shape.back(); }  // innermost dim
  int64_t rows() const { return cols() == 0 ? 0 : numel() / cols(); }
  std::size_t row_bytes() const { return storage_bytes(dtype, cols()); }
  const std::byte* row(int64_t r) const { return data + static_cast<std::size_t>(r) * row_bytes(); }
  std::string shape_string() const;  // "[576, 1536]"
};

}  // namespace eaglerun
