#pragma once
// The dense products the CUDA backend hands to cuBLAS, behind the project's own interface, in
// cuBLAS's conventions: column-major matrices, leading dimensions, op(A) = A or A^T. CublasGemm
// calls cuBLAS (cuda_gemm.cpp); tests substitute a host reference that honours the same conventions.
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>

namespace eaglerun {

class Gemm {
 public:
  virtual ~Gemm() = default;
  // C[m, n] = op(A)[m, k] . B[k, n], fp32, column-major: A is [k, m] (lda >= k) when transpose_a,
  // else [m, k] (lda >= m); B is [k, n] (ldb >= k); C is [m, n] (ldc >= m). All device pointers.
  virtual void sgemm(bool transpose_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                     int64_t ldb, float* c, int64_t ldc) = 0;
  // y[i] += alpha * x[i], i < n.
  virtual void saxpy(int64_t n, float alpha, const float* x, float* y) = 0;
};

// cuBLAS on `stream` (the current device), pedantic fp32 math (no TF32): one handle.
std::unique_ptr<Gemm> make_cublas_gemm(cudaStream_t stream);

}  // namespace eaglerun
