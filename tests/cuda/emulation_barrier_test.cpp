// The emulation's barriers: a reduction that lacks its __syncthreads() gives a wrong sum in at least
// one schedule, the correct one the right sum in all; a barrier not every thread reaches is an error.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "core/backend/cuda/launch.h"
#include "tests/cuda/schedules.h"

namespace eaglerun::cuda {
namespace {

using emulation::EmulationError;
using testing::in_every_schedule;

constexpr unsigned block_threads = 128;

// x: [gridDim.x, blockDim.x]; out: [gridDim.x]. Tree reduction in shared memory; with_barriers false
// drops every __syncthreads(), which a GPU needs between the steps.
template <bool with_barriers>
__global__ void tree_sum(const float* x, float* out) {
  __shared__ float partial[block_threads];
  partial[threadIdx.x] = x[blockIdx.x * blockDim.x + threadIdx.x];
  if (with_barriers) __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    if (with_barriers) __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
}

// Sums of blocks of 1, 2, 3, ... (small integers: every order of additions is exact).
struct SumCase {
  std::vector<float> x;
  std::vector<float> expected;
  explicit SumCase(unsigned blocks) : x(blocks * block_threads), expected(blocks) {
    std::iota(x.begin(), x.end(), 1.0f);
    for (unsigned b = 0; b < blocks; ++b) {
      expected[b] = std::accumulate(x.begin() + b * block_threads, x.begin() + (b + 1) * block_threads, 0.0f);
    }
  }
  std::vector<float> run(void (*kernel)(const float*, float*)) const {
    std::vector<float> out(expected.size(), -1.0f);
    launch(kernel, dim3(static_cast<unsigned>(expected.size())), dim3(block_threads), 0, nullptr, x.data(),
           out.data());
    return out;
  }
};

TEST(CudaEmulationBarrier, TheReductionWithItsBarriersIsRightInEveryOrder) {
  const SumCase sums(5);
  in_every_schedule([&] { EXPECT_EQ(sums.run(tree_sum<true>), sums.expected); });
}

TEST(CudaEmulationBarrier, TheReductionWithoutItsBarriersIsWrongInSomeOrder) {
  const SumCase sums(5);
  int wrong_orders = 0;
  in_every_schedule([&] { wrong_orders += sums.run(tree_sum<false>) != sums.expected; });
  EXPECT_GE(wrong_orders, 1);
  // Thread 0 runs first and alone in the forward order: it reads partial sums nobody has written.
  const emulation::ScopedSchedule forward({emulation::Order::Forward, 0});
  EXPECT_NE(sums.run(tree_sum<false>), sums.expected);
}

// x: [blockDim.x]. Threads from `exit_from` on return before the barrier.
__global__ void exit_before_barrier(unsigned exit_from, float* x) {
  if (threadIdx.x >= exit_from) return;
  x[threadIdx.x] = 1.0f;
  __syncthreads();
  x[threadIdx.x] += 1.0f;
}

TEST(CudaEmulationBarrier, ABarrierSomeThreadsNeverReachIsAnError) {
  std::vector<float> x(64);
  in_every_schedule([&] {
    try {
      launch(exit_before_barrier, dim3(2), dim3(64), 0, nullptr, 10u, x.data());
      FAIL() << "no error";
    } catch (const EmulationError& e) {
      EXPECT_NE(std::string(e.what()).find("reached by 10 of 64 threads"), std::string::npos) << e.what();
    }
  });
  // Every thread exiting together, or none, is fine.
  EXPECT_NO_THROW(launch(exit_before_barrier, dim3(2), dim3(64), 0, nullptr, 64u, x.data()));
  EXPECT_NO_THROW(launch(exit_before_barrier, dim3(2), dim3(64), 0, nullptr, 0u, x.data()));
}

// Odd and even threads wait at two different __syncthreads() calls.
__global__ void divergent_barriers(float* x) {
  if (threadIdx.x % 2 == 0) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  x[threadIdx.x] = 0.0f;
}

TEST(CudaEmulationBarrier, ThreadsAtDifferentBarriersAreAnError) {
  std::vector<float> x(32);
  in_every_schedule([&] {
    EXPECT_THROW(launch(divergent_barriers, dim3(1), dim3(32), 0, nullptr, x.data()), EmulationError);
  });
}

// Threads below 32 wait at a block barrier while the others wait at a shuffle that names them.
__global__ void barrier_against_shuffle(float* x) {
  float v = x[threadIdx.x];
  if (threadIdx.x < 16) {
    __syncthreads();
  } else {
    v = __shfl_sync(0xFFFFFFFFu, v, 0);
  }
  x[threadIdx.x] = v;
}

TEST(CudaEmulationBarrier, AWaitNoOneCanEndIsReportedAsADeadlock) {
  std::vector<float> x(32);
  try {
    launch(barrier_against_shuffle, dim3(1), dim3(32), 0, nullptr, x.data());
    FAIL() << "no error";
  } catch (const EmulationError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("deadlock"), std::string::npos) << what;
    EXPECT_NE(what.find("16 threads wait at __syncthreads"), std::string::npos) << what;
    EXPECT_NE(what.find("16 threads wait at __shfl_sync"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace eaglerun::cuda
