#include "core/backend/cuda_gemm.h"

#include <cublas_v2.h>

#include <string>

#include "core/error.h"

namespace eaglerun {
namespace {

void check(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw Error(std::string(call) + " failed: " + cublasGetStatusName(status) + " (" + cublasGetStatusString(status) +
                ")");
  }
}

int to_int(int64_t v) {
  require(v >= 0 && v <= 0x7fffffff, "a matrix dimension exceeds cuBLAS's 32-bit sizes");
  return static_cast<int>(v);
}

class CublasGemm final : public Gemm {
 public:
  explicit CublasGemm(cudaStream_t stream) {
    check(cublasCreate(&handle_), "cublasCreate");
    check(cublasSetStream(handle_, stream), "cublasSetStream");
    check(cublasSetMathMode(handle_, CUBLAS_PEDANTIC_MATH), "cublasSetMathMode");
  }
  ~CublasGemm() override { cublasDestroy(handle_); }

  void sgemm(bool transpose_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
             int64_t ldb, float* c, int64_t ldc) override {
    const float one = 1.f, zero = 0.f;
    check(cublasSgemm(handle_, transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_OP_N, to_int(m), to_int(n), to_int(k),
                      &one, a, to_int(lda), b, to_int(ldb), &zero, c, to_int(ldc)),
          "cublasSgemm");
  }
  void gemm16(DType type, bool transpose_a, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
              const void* b, int64_t ldb, float* c, int64_t ldc) override {
    require(type == DType::BF16 || type == DType::F16, "gemm16: A and B must be bf16 or fp16");
    const cudaDataType_t in = type == DType::BF16 ? CUDA_R_16BF : CUDA_R_16F;
    const float one = 1.f, zero = 0.f;
    // A cublasComputeType_t (not a cudaDataType) compute type: the handle's pedantic mode does not
    // apply, and the default algorithm runs on tensor cores (cuda_gemm.h).
    const cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
    check(cublasGemmEx(handle_, transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_OP_N, to_int(m), to_int(n),
                       to_int(k), &one, a, in, to_int(lda), b, in, to_int(ldb), &zero, c, CUDA_R_32F, to_int(ldc),
                       compute, CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx");
  }
  void saxpy(int64_t n, float alpha, const float* x, float* y) override {
    check(cublasSaxpy(handle_, to_int(n), &alpha, x, 1, y, 1), "cublasSaxpy");
  }

 private:
  cublasHandle_t handle_ = nullptr;
};

}  // namespace

std::unique_ptr<Gemm> make_cublas_gemm(cudaStream_t stream) { return std::make_unique<CublasGemm>(stream); }

}  // namespace eaglerun
