#pragma once
// Which device a model runs on ("--device cpu|cuda[:N]"), and the backend for it.
#include <memory>
#include <string>
#include <string_view>

#include "core/backend/backend.h"
#include "core/kernels/matmul.h"
#include "core/kernels/thread_pool.h"

namespace eaglerun {

struct DeviceSpec {
  enum class Kind { Cpu, Cuda };
  Kind kind = Kind::Cpu;
  int index = 0;  // the GPU's CUDA ordinal

  std::string to_string() const;  // "cpu", "cuda:1"
};

// "cpu", "cuda" (GPU 0) or "cuda:N"; throws Error for anything else.
DeviceSpec parse_device(std::string_view text);

// The backend of `device`. The CPU backend splits its work over `pool` with `precision`'s kernels.
// Throws Error with one line when the device cannot be used: no CUDA backend in this program, no
// usable GPU or driver (naming the CUDA error), or no GPU with that ordinal. Never falls back to the CPU.
std::shared_ptr<Backend> make_backend(const DeviceSpec& device, ThreadPool& pool, Precision precision);

// The CUDA backend is linked into programs, not into core: a program that offers --device cuda
// links eaglerun_device_backends and calls register_cuda_backend() first (it sets the factory, or
// does nothing in a build without CUDA). Tests link the emulated CUDA backend instead.
using CudaBackendFactory = std::shared_ptr<Backend> (*)(int index);
void set_cuda_backend_factory(CudaBackendFactory factory);
void register_cuda_backend();  // core/backend/cuda_backend_factory.cpp or no_cuda_backend.cpp

}  // namespace eaglerun
