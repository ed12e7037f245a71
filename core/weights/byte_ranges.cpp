#include "core/weights/byte_ranges.h"

#include <algorithm>

#include "core/error.h"
#include "core/weights/display_name.h"

namespace eaglerun {
namespace {

std::string describe(const ByteRange& r) {
  return quote_name(r.name) + " [" + std::to_string(r.begin) + ", " + std::to_string(r.end) + ")";
}

}  // namespace

void check_no_overlap(std::vector<ByteRange> ranges, const std::string& source) {
  std::erase_if(ranges, [](const ByteRange& r) { return r.begin == r.end; });
  std::sort(ranges.begin(), ranges.end(), [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].begin < ranges[i - 1].end) {
      throw Error(source + ": tensors " + describe(ranges[i - 1]) + " and " + describe(ranges[i]) + " overlap");
    }
  }
}

}  // namespace eaglerun
