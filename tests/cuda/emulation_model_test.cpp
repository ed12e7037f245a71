// The emulated execution model: every thread runs once with its own indices, in the schedule's order;
// shared memory is per block; atomics count; launch arguments are copied; bad launches are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <set>
#include <vector>

#include "core/backend/cuda/launch.h"
#include "tests/cuda/schedules.h"

namespace eaglerun::cuda {
namespace {

using emulation::EmulationError;
using testing::in_every_schedule;

// ids: [grid threads, 6]: each thread writes its threadIdx and blockIdx at its global linear index.
__global__ void write_indices(uint32_t* ids) {
  const uint32_t block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const uint32_t thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  uint32_t* mine = ids + 6 * (block * blockDim.x * blockDim.y * blockDim.z + thread);
  const uint32_t values[6] = {threadIdx.x, threadIdx.y, threadIdx.z, blockIdx.x, blockIdx.y, blockIdx.z};
  for (int i = 0; i < 6; ++i) mine[i] += values[i] + 1;  // += : a thread run twice shows
}

TEST(CudaEmulationModel, EveryThreadRunsOnceWithItsIndices) {
  const dim3 grid(3, 2, 2);
  const dim3 block(5, 3, 2);
  in_every_schedule([&] {
    std::vector<uint32_t> ids(6 * 12 * 30, 0);
    launch(write_indices, grid, block, 0, nullptr, ids.data());
    std::size_t k = 0;
    for (uint32_t bz = 0; bz < 2; ++bz)
      for (uint32_t by = 0; by < 2; ++by)
        for (uint32_t bx = 0; bx < 3; ++bx)
          for (uint32_t tz = 0; tz < 2; ++tz)
            for (uint32_t ty = 0; ty < 3; ++ty)
              for (uint32_t tx = 0; tx < 5; ++tx, k += 6) {
                const std::vector<uint32_t> expected{tx + 1, ty + 1, tz + 1, bx + 1, by + 1, bz + 1};
                ASSERT_EQ(std::vector<uint32_t>(ids.begin() + k, ids.begin() + k + 6), expected) << k / 6;
              }
  });
}

// order: [gridDim.x * blockDim.x]: the ticket each thread drew from one counter.
__global__ void draw_tickets(unsigned* counter, unsigned* order) {
  order[blockIdx.x * blockDim.x + threadIdx.x] = atomicAdd(counter, 1u);
}

std::vector<unsigned> tickets(const emulation::Schedule& schedule) {
  const emulation::ScopedSchedule scope(schedule);
  unsigned counter = 0;
  std::vector<unsigned> order(4 * 64);
  launch(draw_tickets, dim3(4), dim3(64), 0, nullptr, &counter, order.data());
  EXPECT_EQ(counter, order.size());
  return order;
}

TEST(CudaEmulationModel, SchedulesRunThreadsAndBlocksInTheirOrders) {
  const std::vector<unsigned> forward = tickets({emulation::Order::Forward, 0});
  const std::vector<unsigned> reverse = tickets({emulation::Order::Reverse, 0});
  const std::vector<unsigned> shuffled = tickets({emulation::Order::Shuffled, 1});
  for (unsigned i = 0; i < forward.size(); ++i) {
    EXPECT_EQ(forward[i], i);
    EXPECT_EQ(reverse[i], forward.size() - 1 - i);
  }
  EXPECT_NE(shuffled, forward);
  EXPECT_NE(shuffled, reverse);
  EXPECT_EQ(std::set<unsigned>(shuffled.begin(), shuffled.end()).size(), shuffled.size());
  EXPECT_EQ(tickets({emulation::Order::Shuffled, 1}), shuffled);  // a seed repeats its order
}

// out: [gridDim.x, blockDim.x]. Each thread reads its dynamic shared word before anyone of its block
// writes (the poison), then the word of its neighbour after a barrier.
__global__ void shared_memory_per_block(uint32_t* before, uint32_t* after) {
  uint32_t* words = dynamic_shared<uint32_t>();
  __shared__ uint32_t static_words[64];
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  before[i] = words[threadIdx.x];
  __syncthreads();
  words[threadIdx.x] = blockIdx.x * 1000 + threadIdx.x;
  static_words[threadIdx.x] = blockIdx.x;
  __syncthreads();
  after[i] = words[(threadIdx.x + 1) % blockDim.x] + static_words[(threadIdx.x + 7) % blockDim.x] * 100000;
}

TEST(CudaEmulationModel, SharedMemoryBelongsToOneBlockAndStartsPoisoned) {
  in_every_schedule([&] {
    std::vector<uint32_t> before(3 * 64);
    std::vector<uint32_t> after(3 * 64);
    launch(shared_memory_per_block, dim3(3), dim3(64), 64 * sizeof(uint32_t), nullptr, before.data(),
           after.data());
    for (unsigned b = 0; b < 3; ++b) {
      for (unsigned t = 0; t < 64; ++t) {
        EXPECT_EQ(before[b * 64 + t], 0xFFFFFFFFu);
        EXPECT_EQ(after[b * 64 + t], b * 1000 + (t + 1) % 64 + b * 100000);
      }
    }
  });
}

// out: [blockDim.x] (one warp or more): each shuffle form, from a lane's value 100 + lane.
__global__ void shuffles(int* index8, int* up3, int* down5, int* xor6, int* xor_w16) {
  const int v = 100 + static_cast<int>(threadIdx.x % 32);
  index8[threadIdx.x] = __shfl_sync(0xFFFFFFFFu, v, static_cast<int>(threadIdx.x) + 3, 8);
  up3[threadIdx.x] = __shfl_up_sync(0xFFFFFFFFu, v, 3);
  down5[threadIdx.x] = __shfl_down_sync(0xFFFFFFFFu, v, 5, 16);
  xor6[threadIdx.x] = __shfl_xor_sync(0xFFFFFFFFu, v, 6);
  xor_w16[threadIdx.x] = __shfl_xor_sync(0xFFFFFFFFu, v, 16, 16);
}

TEST(CudaEmulationModel, ShufflesFollowCudaSemantics) {
  in_every_schedule([&] {
    std::vector<int> index8(64), up3(64), down5(64), xor6(64), xor_w16(64);
    launch(shuffles, dim3(1), dim3(64), 0, nullptr, index8.data(), up3.data(), down5.data(), xor6.data(),
           xor_w16.data());
    for (int t = 0; t < 64; ++t) {
      const int lane = t % 32;
      EXPECT_EQ(index8[t], 100 + lane / 8 * 8 + (lane + 3) % 8);
      EXPECT_EQ(up3[t], 100 + (lane >= 3 ? lane - 3 : lane));
      EXPECT_EQ(down5[t], 100 + (lane % 16 + 5 < 16 ? lane + 5 : lane));
      EXPECT_EQ(xor6[t], 100 + (lane ^ 6));
      // lane ^ 16 in a later segment of width 16: own value; in an earlier one: that lane's.
      EXPECT_EQ(xor_w16[t], 100 + (lane < 16 ? lane : lane - 16));
    }
  });
}

// out: [3, blockDim.x]: ballot, any and all of "lane is a multiple of 3", per warp.
__global__ void votes(unsigned* out) {
  const int predicate = threadIdx.x % 3 == 0;
  out[threadIdx.x] = __ballot_sync(0xFFFFFFFFu, predicate);
  out[blockDim.x + threadIdx.x] = static_cast<unsigned>(__any_sync(0xFFFFFFFFu, predicate));
  out[2 * blockDim.x + threadIdx.x] = static_cast<unsigned>(__all_sync(0x00000001u << (threadIdx.x % 32), 1));
}

TEST(CudaEmulationModel, VotesSeeTheirWarp) {
  std::vector<unsigned> out(3 * 64);
  launch(votes, dim3(1), dim3(64), 0, nullptr, out.data());
  unsigned warp0 = 0;
  unsigned warp1 = 0;
  for (unsigned lane = 0; lane < 32; ++lane) {
    warp0 |= (lane % 3 == 0 ? 1u : 0u) << lane;
    warp1 |= ((lane + 32) % 3 == 0 ? 1u : 0u) << lane;
  }
  for (unsigned t = 0; t < 64; ++t) {
    EXPECT_EQ(out[t], t < 32 ? warp0 : warp1);
    EXPECT_EQ(out[64 + t], 1u);
    EXPECT_EQ(out[128 + t], 1u);
  }
}

// Each thread changes its copy of the argument; every thread must still see the launch's value.
__global__ void arguments_are_copies(int value, int* seen) {
  seen[threadIdx.x] = value;
  value += 1000;
}

TEST(CudaEmulationModel, EveryThreadGetsItsOwnCopyOfTheArguments) {
  std::vector<int> seen(32);
  in_every_schedule([&] {
    launch(arguments_are_copies, dim3(1), dim3(32), 0, nullptr, 7, seen.data());
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 7), 32);
  });
}

// max_value: the largest of every thread's (block * 97 + thread * 31) % 1000; sum: their float sum.
__global__ void atomics(int* max_value, float* sum) {
  const int v = static_cast<int>((blockIdx.x * 97 + threadIdx.x * 31) % 1000);
  atomicMax(max_value, v);
  atomicAdd(sum, 1.0f);
}

TEST(CudaEmulationModel, AtomicsSeeEveryThread) {
  int max_value = -1;
  float sum = 0.0f;
  launch(atomics, dim3(7), dim3(96), 0, nullptr, &max_value, &sum);
  int expected = -1;
  for (int b = 0; b < 7; ++b)
    for (int t = 0; t < 96; ++t) expected = std::max(expected, (b * 97 + t * 31) % 1000);
  EXPECT_EQ(max_value, expected);
  EXPECT_EQ(sum, 7.0f * 96.0f);
}

}  // namespace
}  // namespace eaglerun::cuda
