#pragma once
// A PyTorch state dict as torch.save (>= 1.6) writes it, e.g. an EAGLE head's pytorch_model.bin:
// a ZIP archive (zip_archive.h) with ARCHIVE/data.pkl, a pickled (OrderedDict of) name ->
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) (pickle_reader.h), and one
// raw little-endian storage per tensor group in ARCHIVE/data/<key>. F32, F16 and BF16 tensors.
// Checked when opened: one data.pkl; byteorder "little" when recorded; data.pkl's CRC; each
// storage entry exists and holds exactly numel elements of its type; every tensor is contiguous
// row-major (size-1 dims may have any stride) and lies inside its storage; names are unique.
// Tensors are views into the mapping (several may share one storage). The pre-1.6 format (a bare
// pickle stream) and anything else is refused with one Error line.
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor/tensor_view.h"
#include "core/weights/mapped_file.h"

namespace eaglerun {

class PytorchFile {
 public:
  // Maps and validates the file. Throws Error("PATH: <what is wrong>").
  static std::unique_ptr<PytorchFile> open(const std::string& path);
  // Parses an image already in memory (tests, fuzzing); the buffer must outlive the result.
  static std::unique_ptr<PytorchFile> parse(const std::byte* data, std::size_t size, const std::string& source);

  const std::string& path() const { return path_; }
  const TensorView* find(const std::string& name) const;  // nullptr when absent
  std::vector<std::string> names() const;                 // in the file's (dict) order
  const std::vector<TensorView>& tensors() const { return tensors_; }

 private:
  PytorchFile() = default;
  void parse_image(const std::byte* data, std::size_t size);

  std::string path_;
  std::unique_ptr<MappedFile> file_;  // null when parsing a caller's buffer
  std::vector<TensorView> tensors_;
  std::unordered_map<std::string, std::size_t> index_;
};

// True when the first bytes are those of a torch.save file (ZIP or the legacy pickle format).
bool looks_like_pytorch_file(const std::byte* data, std::size_t size);

}  // namespace eaglerun
