#pragma once
// The dense products the CUDA backend hands to cuBLAS, behind the project's own interface, in
// cuBLAS's conventions: column-major matrices, leading dimensions, op(A) = A or A^T. CublasGemm
// calls cuBLAS (cuda_gemm.cpp); tests substitute a host reference that honours the same conventions.
//
// Math modes (CublasGemm):
//   sgemm:  fp32 inputs, fp32 arithmetic throughout (the handle's CUBLAS_PEDANTIC_MATH: no TF32, no
//           BF16x9 emulation, whatever NVIDIA_TF32_OVERRIDE or the emulation variables say).
//   gemm16: bf16 or fp16 inputs, fp32 output, cublasGemmEx with CUBLAS_COMPUTE_32F and
//           CUBLAS_GEMM_DEFAULT: cuBLAS picks its tensor-core kernels (HMMA on sm_80 / sm_90). Each
//           product of two 16-bit values is exact in fp32 and the sums accumulate in fp32, in an
//           order of cuBLAS's choosing (split-K included). A cublasComputeType_t compute type is not
//           affected by the handle's pedantic math mode (cublas_api.h: that mode applies to the
//           cublas<T> routines and to Ex calls given a cudaDataType compute type).
//   saxpy:  fp32.
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>

#include "core/tensor/dtype.h"

namespace eaglerun {

class Gemm {
 public:
  virtual ~Gemm() = default;
  // C[m, n] = op(A)[m, k] . B[k, n], fp32, column-major: A is [k, m] (lda >= k) when transpose_a,
  // else [m, k] (lda >= m); B is [k, n] (ldb >= k); C is [m, n] (ldc >= m). All device pointers.
  virtual void sgemm(bool transpose_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                     int64_t ldb, float* c, int64_t ldc) = 0;
  // The same product with A and B both of `type` (DType::BF16 or DType::F16: 16-bit elements, the
  // same shapes and leading dimensions in elements as sgemm) and C fp32: exact products, fp32
  // accumulation. Any other type throws Error.
  virtual void gemm16(DType type, bool transpose_a, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
                      const void* b, int64_t ldb, float* c, int64_t ldc) = 0;
  // y[i] += alpha * x[i], i < n.
  virtual void saxpy(int64_t n, float alpha, const float* x, float* y) = 0;
};

// cuBLAS on `stream` (the current device), one handle; math modes as above.
std::unique_ptr<Gemm> make_cublas_gemm(cudaStream_t stream);

}  // namespace eaglerun
