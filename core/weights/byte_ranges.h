#pragma once
// Checks that the byte ranges of a file's tensors do not overlap.
#include <cstdint>
#include <string>
#include <vector>

namespace eaglerun {

struct ByteRange {
  uint64_t begin = 0;  // first byte
  uint64_t end = 0;    // one past the last byte
  std::string name;    // tensor name, for the error message
};

// Throws Error("SOURCE: tensors 'a' [b, e) and 'c' [b, e) overlap"). Empty ranges never overlap.
void check_no_overlap(std::vector<ByteRange> ranges, const std::string& source);

}  // namespace eaglerun
