#include "core/tensor/dtype.h"

#include <string>

#include "core/error.h"

namespace eaglerun {

const DTypeInfo& dtype_info(DType t) {
  static const DTypeInfo table[] = {
      {"f32", 1, 4},       {"f16", 1, 2},        {"bf16", 1, 2},
      {"q8_0", 32, 34},    {"q4_0", 32, 18},     {"q4_1", 32, 20},
  };
  return table[static_cast<int>(t)];
}

bool is_quantised(DType t) { return dtype_info(t).block_elems > 1; }

std::size_t storage_bytes(DType t, int64_t n) {
  const DTypeInfo& info = dtype_info(t);
  require(n >= 0 && n % info.block_elems == 0,
          std::string(info.name) + " tensor row of " + std::to_string(n) +
              " elements is not a multiple of the block size " + std::to_string(info.block_elems));
  return static_cast<std::size_t>(n / info.block_elems) * info.block_bytes;
}

}  // namespace eaglerun
