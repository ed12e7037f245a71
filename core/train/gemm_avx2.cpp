// The AVX2 + FMA microkernel for CPUs without AVX-512: the 12 x 32 tile of C as four 6 x 16 quarters,
// each in 12 ymm accumulators; per k, two loads of B and six broadcasts of A feed 12 FMAs. Every
// element of C sums over k in ascending order with one FMA per k, as the AVX-512 kernel does, so both
// give the same bits. Compiled with AVX2/FMA flags on x86-64 only.
#include "core/train/gemm.h"
#include "core/train/gemm_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include <algorithm>
#endif

namespace eaglerun::train::detail {

#if defined(__AVX2__) && defined(__FMA__)
namespace {

constexpr int kRows = 6;   // rows of a quarter tile
constexpr int kCols = 16;  // columns of a quarter tile (two 8-float vectors)

// c[r, j] (+)= sum_k a[k][row0 + r] * b[k][col0 + j] for r < m, j < n (m <= 6, n <= 16).
void quarter(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n, bool accumulate) {
  __m256 acc[kRows][2];
#pragma GCC unroll 6
  for (int r = 0; r < kRows; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += kGemmMr, b += kGemmNr) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < kRows; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
  // Out through a buffer indexed by constants only: indexing acc by the run-time m would keep the
  // accumulators in memory inside the k loop.
  alignas(32) float sums[kRows][kCols];
#pragma GCC unroll 6
  for (int r = 0; r < kRows; ++r) {
    _mm256_store_ps(sums[r], acc[r][0]);
    _mm256_store_ps(sums[r] + 8, acc[r][1]);
  }
  for (int r = 0; r < m; ++r) {
    float* row = c + r * ldc;
    for (int j = 0; j < n; ++j) row[j] = accumulate ? row[j] + sums[r][j] : sums[r][j];
  }
}

void kernel_12x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n,
                  bool accumulate) {
  static_assert(kGemmMr == 2 * kRows && kGemmNr == 2 * kCols, "the AVX2 kernel splits a 12 x 32 tile in four");
  for (int col0 = 0; col0 < n; col0 += kCols) {  // quarters wholly past m or n hold only padding: skipped
    for (int row0 = 0; row0 < m; row0 += kRows) {  // the second reads the same half of B, from L1
      quarter(kc, a + row0, b + col0, c + row0 * ldc + col0, ldc, std::min(kRows, m - row0),
              std::min(kCols, n - col0), accumulate);
    }
  }
}

}  // namespace

GemmKernel gemm_kernel_avx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? kernel_12x32 : nullptr;
}
#else
GemmKernel gemm_kernel_avx2() { return nullptr; }
#endif

}  // namespace eaglerun::train::detail
