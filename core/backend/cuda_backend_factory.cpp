// register_cuda_backend in a build with the CUDA backend: the CUDA runtime and cuBLAS on GPU `index`.
#include <string>

#include "core/backend/cuda_backend.h"
#include "core/backend/device.h"

namespace eaglerun {
namespace {

std::shared_ptr<Backend> make_cuda_backend(int index) {
  std::unique_ptr<DeviceApi> api = make_cudart_api(index);
  std::unique_ptr<Gemm> gemm = make_cublas_gemm(api->stream());
  return std::make_shared<CudaBackend>("cuda:" + std::to_string(index), std::move(api), std::move(gemm));
}

}  // namespace

void register_cuda_backend() { set_cuda_backend_factory(&make_cuda_backend); }

}  // namespace eaglerun
