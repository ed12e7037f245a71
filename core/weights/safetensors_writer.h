#pragma once
// Writes fp32 tensors to a .safetensors file, stored as F32, F16 or BF16 (round to nearest even).
// Header: 8-byte little-endian length, JSON {name: {dtype, shape, data_offsets}}, padded with
// spaces to a multiple of 8; then the data in the order given.
#include <cstdint>
#include <string>
#include <vector>

namespace eaglerun {

struct TensorToWrite {
  std::string name;
  std::vector<int64_t> shape;  // outermost first
  const float* values;         // numel() fp32 values
};

// dtype: "F32", "F16" or "BF16". Throws Error when the file cannot be written.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors, const std::string& dtype);

}  // namespace eaglerun
