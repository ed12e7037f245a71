#pragma once
// Parses and validates a whole GGUF v2/v3 image held in memory (a mapping or a fuzzer's buffer).
// The result points into the buffer, which must outlive it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor/tensor_view.h"
#include "core/weights/gguf_metadata.h"

namespace eaglerun {

struct GgufContents {
  uint32_t version = 0;
  GgufMetadata metadata;
  uint64_t alignment = 32;          // bytes; general.alignment or the default
  uint64_t data_offset = 0;         // file offset of the (aligned) data section
  std::vector<TensorView> tensors;  // file order; shape outermost first
};

// Throws Error("SOURCE: <what is wrong>") for any malformed or unsupported input.
GgufContents parse_gguf(const std::byte* data, std::size_t size, const std::string& source);

}  // namespace eaglerun
