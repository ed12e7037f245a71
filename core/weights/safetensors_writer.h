#pragma once
// Writes fp32 tensors to a .safetensors file, stored as F32, F16 or BF16 (round to nearest even).
// Header: 8-byte little-endian length, JSON {name: {dtype, shape, data_offsets}}, padded with
// spaces to a multiple of 8; then the data in the order given.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor/dtype.h"

namespace eaglerun {

struct TensorToWrite {
  std::string name;
  std::vector<int64_t> shape;  // outermost first
  const float* values;         // numel() fp32 values
};

// dtype: "F32", "F16" or "BF16". Throws Error when the file cannot be written.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors, const std::string& dtype);



// A tensor whose bytes come from a callback, in its own dtype (F32, F16 or BF16).
struct StreamedTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // outermost first
};

// Writes the tensors in the order given, atomically (PATH.partial, then rename); produce(i, bytes)
// fills tensor i's bytes (already sized). Throws Error for a quantised dtype or a failed write.
void write_safetensors(const std::string& path, const std::vector<StreamedTensor>& tensors,
                       const std::function<void(std::size_t, std::vector<std::byte>&)>& produce);

}  // namespace eaglerun
