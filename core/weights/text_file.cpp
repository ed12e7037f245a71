#include "core/weights/text_file.h"

#include "core/error.h"
#include "core/weights/mapped_file.h"

namespace eaglerun {

std::string read_text_file(const std::string& path, std::size_t max_bytes) {
  const MappedFile f(path);
  require(f.size() <= max_bytes, path + ": file of " + std::to_string(f.size()) + " bytes is larger than the " +
                                     std::to_string(max_bytes) + "-byte limit");
  return std::string(reinterpret_cast<const char*>(f.data()), f.size());
}

}  // namespace eaglerun
