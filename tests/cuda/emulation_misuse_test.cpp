// Kernel bugs and launches the hardware refuses stop an emulated launch with an EmulationError that
// says what went wrong, instead of hanging or returning garbage.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/backend/cuda/launch.h"

namespace eaglerun::cuda {
namespace {

using emulation::EmulationError;

// The message of the EmulationError the launch throws ("" if none).
template <class... Params, class... Args>
std::string launch_error(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t shared, Args... args) {
  try {
    launch(kernel, grid, block, shared, nullptr, args...);
  } catch (const EmulationError& e) {
    return e.what();
  }
  return "";
}

// Lane `quitter` returns; the others shuffle with a full mask.
__global__ void shuffle_without_one_lane(unsigned quitter, float* x) {
  if (threadIdx.x == quitter) return;
  x[threadIdx.x] = __shfl_xor_sync(0xFFFFFFFFu, x[threadIdx.x], 1);
}

TEST(CudaEmulationMisuse, AShuffleWaitingForAnExitedLane) {
  std::vector<float> x(32);
  const std::string what = launch_error(shuffle_without_one_lane, dim3(1), dim3(32), 0, 3u, x.data());
  EXPECT_NE(what.find("waits for lane 3, which has exited"), std::string::npos) << what;
}

// Each lane names only lane 0 in its mask.
__global__ void lane_outside_its_mask(float* x) { x[threadIdx.x] = __shfl_sync(1u, x[threadIdx.x], 0); }

TEST(CudaEmulationMisuse, ALaneOutsideItsOwnMask) {
  std::vector<float> x(32);
  const std::string what = launch_error(lane_outside_its_mask, dim3(1), dim3(32), 0, x.data());
  EXPECT_NE(what.find("is not in its own mask"), std::string::npos) << what;
}

// The lower half-warp shuffles among itself but reads lane 16.
__global__ void read_outside_the_mask(float* x) {
  if (threadIdx.x < 16) x[threadIdx.x] = __shfl_sync(0x0000FFFFu, x[threadIdx.x], 16, 32);
}

TEST(CudaEmulationMisuse, AShuffleReadingALaneOutsideTheMask) {
  std::vector<float> x(32);
  const std::string what = launch_error(read_outside_the_mask, dim3(1), dim3(32), 0, x.data());
  EXPECT_NE(what.find("reads lane 16, which is not in mask"), std::string::npos) << what;
}

// Blocks of 48 threads: the second warp has 16 lanes, but a full mask names 32.
__global__ void full_mask_on_a_partial_warp(float* x) {
  x[threadIdx.x] = __shfl_xor_sync(0xFFFFFFFFu, x[threadIdx.x], 1);
}

TEST(CudaEmulationMisuse, AMaskNamingLanesAWarpDoesNotHave) {
  std::vector<float> x(48);
  const std::string what = launch_error(full_mask_on_a_partial_warp, dim3(1), dim3(48), 0, x.data());
  EXPECT_NE(what.find("names lanes the warp's 16 threads do not have"), std::string::npos) << what;
}

// Lanes of one warp at two different warp operations.
__global__ void mismatched_warp_operations(float* x) {
  if (threadIdx.x % 2 == 0) {
    x[threadIdx.x] = __shfl_xor_sync(0xFFFFFFFFu, x[threadIdx.x], 1);
  } else {
    x[threadIdx.x] = __shfl_down_sync(0xFFFFFFFFu, x[threadIdx.x], 1);
  }
}

TEST(CudaEmulationMisuse, LanesAtDifferentWarpOperations) {
  std::vector<float> x(32);
  const std::string what = launch_error(mismatched_warp_operations, dim3(1), dim3(32), 0, x.data());
  EXPECT_NE(what.find("but lane"), std::string::npos) << what;
}

__global__ void trap_in_block_two(float* x) {
  if (blockIdx.x == 2 && threadIdx.x == 5) __trap();
  x[blockIdx.x * blockDim.x + threadIdx.x] = 1.0f;
}

TEST(CudaEmulationMisuse, TrapStopsTheLaunch) {
  std::vector<float> x(4 * 32);
  const std::string what = launch_error(trap_in_block_two, dim3(4), dim3(32), 0, x.data());
  EXPECT_NE(what.find("block (2,0,0): thread (5,0,0): __trap() called"), std::string::npos) << what;
}

__global__ void nothing(float*) {}

TEST(CudaEmulationMisuse, LaunchesTheHardwareRefuses) {
  EXPECT_NE(launch_error(nothing, dim3(1), dim3(2048), 0, nullptr).find("invalid launch configuration"),
            std::string::npos);
  EXPECT_NE(launch_error(nothing, dim3(1), dim3(32, 32, 2), 0, nullptr).find("invalid launch configuration"),
            std::string::npos);
  EXPECT_NE(launch_error(nothing, dim3(0), dim3(32), 0, nullptr).find("invalid launch configuration"),
            std::string::npos);
  EXPECT_NE(launch_error(nothing, dim3(1), dim3(32), 64 * 1024, nullptr).find("dynamic shared memory"),
            std::string::npos);
  EXPECT_EQ(launch_error(nothing, dim3(1), dim3(1024), 48 * 1024, nullptr), "");
}

}  // namespace
}  // namespace eaglerun::cuda
