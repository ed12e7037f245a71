#pragma once
// The CUDA backend a test binary runs on: emulated (cuda_test_backend_emulated.cpp) or a real GPU
// (cuda_test_backend_gpu.cpp). `live` counts the device buffers not yet freed.
#include <atomic>
#include <cstdint>
#include <memory>

#include "core/backend/backend.h"

namespace eaglerun::test {

std::shared_ptr<Backend> make_test_cuda_backend(std::atomic<int64_t>* live);

}  // namespace eaglerun::test
