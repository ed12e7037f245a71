#pragma once
// Kernel source for nvcc, compiled as host C++ by g++: the CUDA execution model, emulated.
// core/backend/cuda/launch.h includes this header when __CUDACC__ is not defined; kernels include
// nothing of it themselves.
//
// What the CUDA headers give g++: cuda_runtime.h, cuda_fp16.h and cuda_bf16.h compile as host C++
// (dim3, uint3, cudaStream_t, __half and __nv_bfloat16 with host conversions such as
// __float2half_rn and __half2float). Without __CUDACC__, crt/host_defines.h defines the execution
// space and memory space keywords (__global__, __device__, __host__, __shared__, __constant__) as
// nothing, and declares no device built-ins (threadIdx, __syncthreads, shuffles, atomics).
//
// What this header changes (every redefinition is here):
//   __shared__          -> static thread_local: one array shared by the fibers of the running block
//                          (blocks run one after another on one OS thread). It is not cleared
//                          between blocks: like the hardware, it holds whatever the last block left.
//   threadIdx, blockIdx, blockDim, gridDim
//                       -> the running fiber's values (ThreadContext), read-only.
//   warpSize            -> 32.
//   __launch_bounds__   -> nothing.
// Device functions (device_functions.h) are ordinary host functions; launches run synchronously
// (emulation::launch below) and ignore the stream.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/backend/cuda/emulation/device_functions.h"
#include "core/backend/cuda/emulation/grid_runner.h"
#include "core/backend/cuda/emulation/thread_context.h"

#undef __shared__
#define __shared__ static thread_local
#define threadIdx (static_cast<const uint3&>(::eaglerun::cuda::emulation::current_thread().thread_idx))
#define blockIdx (static_cast<const uint3&>(::eaglerun::cuda::emulation::current_thread().block_idx))
#define blockDim (static_cast<const dim3&>(::eaglerun::cuda::emulation::current_thread().block_dim))
#define gridDim (static_cast<const dim3&>(::eaglerun::cuda::emulation::current_thread().grid_dim))
#define warpSize 32
#ifndef __launch_bounds__
#define __launch_bounds__(...)
#endif

namespace eaglerun::cuda::emulation {

// kernel<<<grid, block, shared_bytes, stream>>>(args...), run to completion before returning. The
// arguments are converted to the kernel's parameter types once, as a launch copies them.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t shared_bytes, cudaStream_t /*stream*/,
            Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "launch: wrong number of kernel arguments");
  const std::tuple<std::decay_t<Params>...> parameters(std::forward<Args>(args)...);
  run_grid(LaunchShape{grid, block, shared_bytes}, [&] { std::apply(kernel, parameters); });
}

// The launch's dynamic shared memory (extern __shared__ T[] under nvcc).
template <class T>
T* dynamic_shared() {
  return reinterpret_cast<T*>(dynamic_shared_memory());
}

}  // namespace eaglerun::cuda::emulation
