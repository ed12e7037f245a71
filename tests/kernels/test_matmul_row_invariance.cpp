// Lossless speculative decoding rests on this: with Precision::Fast, each output row has the same
// bits whatever the number n of activation rows in the call (a draft tree verifies n tokens at
// once, plain decoding one), however many threads share the weight rows, and whether the weights
// were packed at load time (PackedWeights) or are packed on the fly. Checked on every ISA, every
// quantised type, n = 1..33, odd weight row counts (one, two and three row groups of the AVX-512
// layout, the last one partly filled), and row lengths that reach every superblock size of the AVX2
// layout (avx2_layout.h: 8, 4, 2 and 1 blocks).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/kernels/matmul.h"
#include "core/kernels/packed_weights.h"
#include "tests/kernels/isa_scope.h"
#include "tests/kernels/kernel_test_util.h"

namespace eaglerun {
namespace {

constexpr int64_t kMaxTokens = 33;

// y[n, rows] of x[0..n) with the given pool.
std::vector<float> product(const TensorView& w, const std::vector<float>& x, int64_t n, ThreadPool& pool) {
  std::vector<float> y(static_cast<std::size_t>(n * w.rows()));
  matmul(w, x.data(), n, y.data(), Precision::Fast, pool);
  return y;
}

// Row c of x multiplied alone, on one thread, for c < kMaxTokens: [kMaxTokens, rows].
std::vector<float> rows_alone(const TensorView& w, const std::vector<float>& x, int64_t k) {
  ThreadPool one(1);
  std::vector<float> out;
  for (int64_t c = 0; c < kMaxTokens; ++c) {
    const std::vector<float> xc(x.begin() + c * k, x.begin() + (c + 1) * k);
    const std::vector<float> y = product(w, xc, 1, one);
    out.insert(out.end(), y.begin(), y.end());
  }
  return out;
}

TEST(MatmulRowInvariance, EachRowHasTheSameBitsForAnyTokenCountThreadSplitAndPacking) {
  ThreadPool two(2), three(3);
  for (KernelIsa isa : test::supported_isas()) {
    test::IsaScope scope(isa);
    for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q4_1}) {
      for (int64_t k : {32, 64, 576, 992, 1536, 2144}) {  // blocks 1, 2, 16 + 2, 16 + 8 + 4 + 2 + 1, 48, 64 + 2 + 1
        for (int64_t rows : {1, 7, 33, 45}) {
          const test::OwnedTensor w = test::random_weights(t, rows, k, static_cast<uint32_t>(k + rows));
          const std::vector<float> x = test::random_activations(kMaxTokens, k, static_cast<uint32_t>(k));
          const std::vector<float> alone = rows_alone(w.view, x, k);
          for (bool packed_at_load : {false, true}) {
            PackedWeights packed;
            if (packed_at_load) packed.add(w.view, two);
            for (ThreadPool* pool : {&two, &three}) {
              for (int64_t n = 1; n <= kMaxTokens; ++n) {
                const std::vector<float> y = product(w.view, x, n, *pool);
                ASSERT_EQ(std::memcmp(y.data(), alone.data(), y.size() * sizeof(float)), 0)
                    << kernel_isa_name(isa) << " " << dtype_info(t).name << " k=" << k << " rows=" << rows
                    << " n=" << n << " threads=" << pool->size() << (packed_at_load ? " packed at load" : "");
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace eaglerun
