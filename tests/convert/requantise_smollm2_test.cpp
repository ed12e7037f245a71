// The default model's quantised tensors (Q4_1 and the Q8_0 token embedding), dequantised to fp32
// and quantised again by encode(): every block comes back with the same bytes, i.e. the
// quantisers round as the ggml that wrote the file (Q4_1 -> F32 -> Q4_1 is byte-identical).
#include <gtest/gtest.h>

#include <cstring>

#include "core/kernels/matmul.h"
#include "core/weights/gguf_file.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

TEST(RequantiseSmolLM2, EveryQuantisedTensorComesBackByteIdentical) {
  const auto f = GgufFile::open(test::default_model_path());
  int checked = 0;
  for (const TensorView& t : f->tensors()) {
    if (!is_quantised(t.dtype)) continue;
    std::vector<float> row(static_cast<std::size_t>(t.cols()));
    std::vector<std::byte> again(t.row_bytes());
    int64_t differing = 0;
    for (int64_t r = 0; r < t.rows(); ++r) {
      dequantize(t.dtype, t.row(r), t.cols(), row.data());
      encode(t.dtype, row.data(), t.cols(), again.data());
      differing += std::memcmp(again.data(), t.row(r), t.row_bytes()) != 0;
    }
    EXPECT_EQ(differing, 0) << t.name << " (" << dtype_info(t.dtype).name << "): rows that differ";
    ++checked;
  }
  EXPECT_EQ(checked, 211);  // 210 Q4_1 matrices and the Q8_0 embedding
}

}  // namespace
}  // namespace eaglerun
