// embed_rows (emulated) against the CPU's dequantize_row (core/kernels/matmul.h), for every DType.
// Exact: dequantisation is exact on both (Q4_1's one rounding, d * nibble + m, is the same with or
// without FMA, as d * nibble is exact), so every output has the CPU's bits (NaN: both NaN). The
// tables are random bytes, so every fp16 scale (subnormal, inf, NaN) and every quant appears.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/backend/cuda/emulation/grid_runner.h"
#include "core/backend/cuda/kernels.h"
#include "core/error.h"
#include "core/kernels/matmul.h"
#include "tests/cuda/schedules.h"

namespace eaglerun::cuda {
namespace {

using testing::in_every_schedule;

bool same_bits_or_both_nan(float a, float b) {
  return std::isnan(a) ? std::isnan(b) : std::memcmp(&a, &b, sizeof a) == 0;
}

void check_embedding(DType dtype, int64_t rows, int64_t cols, const std::vector<int32_t>& tokens) {
  SCOPED_TRACE(std::string(dtype_info(dtype).name) + " " + std::to_string(rows) + " x " + std::to_string(cols) +
               ", " + std::to_string(tokens.size()) + " tokens");
  const std::size_t row_bytes = storage_bytes(dtype, cols);
  std::vector<std::byte> table(rows * row_bytes);
  std::mt19937 random(static_cast<uint32_t>(cols * 7 + static_cast<int>(dtype)));
  for (std::byte& b : table) b = static_cast<std::byte>(random() & 0xFF);
  const auto n = static_cast<int64_t>(tokens.size());
  std::vector<float> expected(n * cols);
  for (int64_t i = 0; i < n; ++i) {
    eaglerun::dequantize(dtype, table.data() + tokens[i] * row_bytes, cols, expected.data() + i * cols);
  }
  in_every_schedule([&] {
    std::vector<float> out(n * cols, -7.0f);
    embed_rows(dtype, table.data(), rows, cols, tokens.data(), n, out.data(), nullptr);
    for (std::size_t k = 0; k < out.size(); ++k) {
      ASSERT_TRUE(same_bits_or_both_nan(out[k], expected[k])) << "element " << k << ": " << out[k] << " vs "
                                                              << expected[k];
    }
  });
}

TEST(CudaEmbedRows, FloatTypesMatchTheCpu) {
  for (const DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    check_embedding(dtype, 9, 1, {4});
    check_embedding(dtype, 9, 7, {0, 8, 8, 3});
    check_embedding(dtype, 9, 300, {2, 5});
    check_embedding(dtype, 3, 20000, {1, 0, 2});  // more columns than one row's blocks cover
  }
}

TEST(CudaEmbedRows, QuantisedTypesMatchTheCpu) {
  for (const DType dtype : {DType::Q8_0, DType::Q4_0, DType::Q4_1}) {
    check_embedding(dtype, 9, 32, {4});
    check_embedding(dtype, 9, 96, {0, 8, 8, 3});
    check_embedding(dtype, 9, 608, {2, 5, 7, 1, 0});
  }
}

TEST(CudaEmbedRows, RefusesBadShapesAndTrapsOnATokenOutOfRange) {
  std::vector<std::byte> table(10 * storage_bytes(DType::Q8_0, 64));
  std::vector<float> out(2 * 64);
  const std::vector<int32_t> tokens{3, 10};
  EXPECT_THROW(embed_rows(DType::Q8_0, table.data(), 10, 48, tokens.data(), 1, out.data(), nullptr), Error);
  EXPECT_THROW(embed_rows(DType::Q8_0, table.data(), 10, 64, tokens.data(), 0, out.data(), nullptr), Error);
  EXPECT_THROW(embed_rows(DType::Q8_0, table.data(), 0, 64, tokens.data(), 1, out.data(), nullptr), Error);
  EXPECT_NO_THROW(embed_rows(DType::Q8_0, table.data(), 10, 64, tokens.data(), 1, out.data(), nullptr));
  EXPECT_THROW(embed_rows(DType::Q8_0, table.data(), 10, 64, tokens.data(), 2, out.data(), nullptr),
               emulation::EmulationError);
}

}  // namespace
}  // namespace eaglerun::cuda
