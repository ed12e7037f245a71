// make_gpu_sums in a build without NCCL (parallel/no_nccl_gpu_sums.cpp; this test is built only
// there): the device's own errors come first (no CUDA backend, no usable GPU), as for a split that
// needs no NCCL; with a usable device, one Error saying that this build has no NCCL.
#include <gtest/gtest.h>

#include <string>

#include "core/backend/cpu_backend.h"
#include "core/backend/device.h"
#include "core/error.h"
#include "parallel/gpu_sums.h"

namespace eaglerun {
namespace {

std::string error_of(int gpu) {
  try {
    make_gpu_sums(gpu);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

int devices_made = 0;

TEST(NoNcclGpuSums, SaysThisBuildHasNoNcclAfterTheDevicesOwnErrors) {
  set_cuda_backend_factory(nullptr);  // no CUDA backend: that is the one line
  EXPECT_NE(error_of(0).find("this build has no CUDA backend"), std::string::npos) << error_of(0);

  // A stand-in for a usable GPU: the device is made, then the missing NCCL is the error.
  set_cuda_backend_factory([](int) -> std::shared_ptr<Backend> {
    ++devices_made;
    return host_backend();
  });
  const std::string error = error_of(1);
  EXPECT_EQ(error.rfind("this build has no NCCL: ", 0), 0u) << error;
  EXPECT_EQ(devices_made, 1);
  set_cuda_backend_factory(nullptr);
}

}  // namespace
}  // namespace eaglerun
