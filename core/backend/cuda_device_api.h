#pragma once
// The CUDA runtime calls the CUDA backend makes, behind a small interface: CudartApi (real GPUs,
// cuda_device_api.cpp) and, in tests, host memory standing in for device memory so the backend's
// calling code runs with the emulated kernels (tests/cuda). Every failing call throws Error naming
// the call and the CUDA error.
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>

namespace eaglerun {

class DeviceApi {
 public:
  virtual ~DeviceApi() = default;
  virtual void* malloc(int64_t bytes) = 0;  // throws Error with the bytes needed and free
  virtual void free(void* device) = 0;
  virtual void upload(void* device, const void* host, int64_t bytes) = 0;    // returns when done
  virtual void download(void* host, const void* device, int64_t bytes) = 0;  // after every op before it
  virtual void copy(void* to, const void* from, int64_t bytes) = 0;          // device to device, in order
  virtual void zero(void* device, int64_t bytes) = 0;
  virtual cudaStream_t stream() const = 0;  // the stream every kernel of the backend runs on
};

// The CUDA runtime on GPU `index`: one stream. Throws Error (one line, naming the CUDA error) when
// there is no usable GPU or driver, or no GPU `index`.
std::unique_ptr<DeviceApi> make_cudart_api(int index);

}  // namespace eaglerun
