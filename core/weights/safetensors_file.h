#pragma once
// One .safetensors file: an 8-byte little-endian header length N, N bytes of JSON
// {name: {"dtype", "shape", "data_offsets": [begin, end)}, "__metadata__": {str: str}}, then the
// data section (offsets are relative to its first byte). F32, F16 and BF16 tensors.
// Every tensor's dtype, shape and byte range is validated when the file is opened.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor/tensor_view.h"
#include "core/weights/mapped_file.h"

namespace eaglerun {

class SafetensorsFile {
 public:
  static constexpr std::size_t kMaxHeaderBytes = 100u << 20;  // 100 MiB

  // Maps and validates the file. Throws Error("PATH: <what is wrong>").
  static std::unique_ptr<SafetensorsFile> open(const std::string& path);
  // Parses an image already in memory (tests, fuzzing); the buffer must outlive the result.
  static std::unique_ptr<SafetensorsFile> parse(const std::byte* data, std::size_t size, const std::string& source);

  const std::string& path() const { return path_; }
  // nullptr when absent.
  const TensorView* find(const std::string& name) const;
  std::vector<std::string> names() const;                 // sorted
  const std::vector<TensorView>& tensors() const { return tensors_; }
  // The string entries of "__metadata__" (e.g. "format": "pt").
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  void parse_image(const std::byte* data, std::size_t size);

  std::string path_;
  std::unique_ptr<MappedFile> file_;  // null when parsing a caller's buffer
  std::vector<TensorView> tensors_;
  std::unordered_map<std::string, std::size_t> index_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace eaglerun
