#pragma once
// fp32 matrix products for training: C[M, N] (+)= A[M, K] · B[K, N], with A and B read through
// strided views (so transposes cost nothing extra), blocked for the caches and split over a
// ThreadPool. An AVX-512 microkernel (12 x 32 register tile) is used when the CPU has it.
//
// Determinism: every C element is summed over k in the same order (K cut into equal blocks of at
// most kKcMax that depend on K alone, ascending; within a block, ascending) whatever the thread
// count or how the work is split, so results are bit-identical for 1 or N threads on one machine
// and instruction set.
#include <cstdint>
#include <new>
#include <vector>

#include "core/kernels/thread_pool.h"

namespace eaglerun::train {

// A read-only matrix view: element (r, c) is data[r * row_stride + c * col_stride].
struct MatrixRef {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t row_stride = 0;
  int64_t col_stride = 1;

  // A row-major [rows, cols] matrix, and its transpose [cols, rows].
  static MatrixRef row_major(const float* data, int64_t rows, int64_t cols) { return {data, rows, cols, cols, 1}; }
  static MatrixRef transposed(const float* data, int64_t rows, int64_t cols) { return {data, cols, rows, 1, cols}; }
};

// Allocates on 64-byte boundaries: packed panels are read in whole cache lines.
template <typename T>
struct CacheAlignedAllocator {
  using value_type = T;
  CacheAlignedAllocator() = default;
  template <typename U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64))); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(64)); }
  friend bool operator==(const CacheAlignedAllocator&, const CacheAlignedAllocator&) { return true; }
};

// B [K, N] repacked for the microkernel: panels of kGemmNr columns, each [K, kGemmNr] contiguous
// (zero padded past N). Pack a matrix once when it is used many times (a frozen LM head).
class PackedMatrix {
 public:
  static PackedMatrix pack(const MatrixRef& b, ThreadPool& pool);
  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  const float* panel(int64_t p) const;  // [K, kGemmNr]
  int64_t bytes() const { return static_cast<int64_t>(data_.size() * sizeof(float)); }

 private:
  int64_t k_ = 0;
  int64_t n_ = 0;
  std::vector<float, CacheAlignedAllocator<float>> data_;  // [ceil(N / kGemmNr), K, kGemmNr]
};

inline constexpr int kGemmMr = 12;    // rows of the register tile
inline constexpr int kGemmNr = 32;    // columns of the register tile (two 16-float vectors)
inline constexpr int64_t kKcMax = 320;     // K block bound: a [K block, 32] panel of B fits L1 ...
inline constexpr int64_t kKcWhole = 640;   // ... unless K <= kKcWhole: one block, C written once
inline constexpr int64_t kMcMax = 264;     // rows of A packed at a time (L2): B streams once per block

// C[M, N] (+)= A[M, K] · B[K, N]; c row-major with row stride ldc.
void gemm(const MatrixRef& a, const PackedMatrix& b, float* c, int64_t ldc, bool accumulate, ThreadPool& pool);
void gemm(const MatrixRef& a, const MatrixRef& b, float* c, int64_t ldc, bool accumulate, ThreadPool& pool);

// The three products of a linear layer y = x W^T (W [N, K] row-major, x [M, K], y [M, N]):
void gemm_xwt(const float* x, const float* w, int64_t m, int64_t n, int64_t k, float* y, bool accumulate,
              ThreadPool& pool);  // y[m, n] (+)= x[m, k] · w[n, k]^T
void gemm_dyw(const float* dy, const float* w, int64_t m, int64_t n, int64_t k, float* dx, bool accumulate,
              ThreadPool& pool);  // dx[m, k] (+)= dy[m, n] · w[n, k]
void gemm_dytx(const float* dy, const float* x, int64_t m, int64_t n, int64_t k, float* dw, bool accumulate,
               ThreadPool& pool);  // dw[n, k] (+)= dy[m, n]^T · x[m, k]

// Which microkernel gemm uses: "avx512" or "generic".
const char* gemm_kernel_name();

}  // namespace eaglerun::train
