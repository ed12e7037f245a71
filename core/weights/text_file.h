#pragma once
// Reads a small text file (config.json, an index) whole. Throws Error("PATH: ...") when it
// cannot be read or is larger than max_bytes.
#include <cstddef>
#include <string>

namespace eaglerun {

std::string read_text_file(const std::string& path, std::size_t max_bytes = 64u << 20);

}  // namespace eaglerun
