#pragma once
// A read-only memory mapping of a whole file (mmap + MAP_PRIVATE). Throws Error when the file
// cannot be opened or mapped. An empty file maps to size 0 and data() == nullptr.
#include <cstddef>
#include <string>

namespace eaglerun {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace eaglerun
