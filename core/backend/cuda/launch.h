#pragma once
// The one place where kernel source differs between nvcc and the host emulation (docs/CUDA.md).
//   launch(kernel, grid, block, shared_bytes, stream, args...)
//       nvcc: kernel<<<grid, block, shared_bytes, stream>>>(args...), then a launch error (bad
//             configuration, no device) throws eaglerun::Error naming the CUDA error.
//       g++:  the emulation runs the grid synchronously, ignoring the stream; a kernel bug it sees
//             (deadlock, misused warp operation, __trap) throws emulation::EmulationError.
//   dynamic_shared<T>()
//       the launch's dynamic shared memory (shared_bytes of it), aligned to 16 bytes.
// Kernel .cu files include this header and CUDA headers only.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <utility>

#include "core/error.h"

#if defined(__CUDACC__)

namespace eaglerun::cuda {

template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t shared_bytes, cudaStream_t stream,
            Args&&... args) {
  kernel<<<grid, block, shared_bytes, stream>>>(std::forward<Args>(args)...);
  const cudaError_t status = cudaGetLastError();
  require(status == cudaSuccess, std::string("CUDA kernel launch failed: ") + cudaGetErrorName(status) + ": " +
                                     cudaGetErrorString(status));
}

template <class T>
__device__ __forceinline__ T* dynamic_shared() {
  extern __shared__ __align__(16) unsigned char eaglerun_dynamic_shared_bytes[];
  return reinterpret_cast<T*>(eaglerun_dynamic_shared_bytes);
}

}  // namespace eaglerun::cuda

#else

#include "core/backend/cuda/emulation/cuda_emulation.h"

namespace eaglerun::cuda {
using emulation::dynamic_shared;
using emulation::launch;
}  // namespace eaglerun::cuda

#endif
