// measure_read_bandwidth_gbps against an independent probe written here: a plain loop summing 64-bit
// words (no software prefetch, no thread pool), best of several passes. Both read 128 MiB, four times
// this machine's 32 MiB L3, so both measure DRAM, on one thread each: with two threads on a loaded
// 2-core machine, one preempted thread doubles a pass's time and the comparison turns to noise.
// The two run interleaved, 5 rounds, and the best of each is compared.
//   Measured ratio (ours / plain), 20 runs per line:
//     project building on both cores (load ~8)                      0.92-1.19
//     the same plus 4 busy loops (load ~10)                        0.55-4.41 (one run above 3.3)
//     again, a second sample                                        0.70-1.63
//     (two threads each, with the busy loops: 0.36-1.96)
//   Bound: 0.25x-4x, over twice the typical worst either way; an attempt outside it (only seen with
//   more runnable threads than cores times five) is repeated, up to 3 attempts. A real error keeps
//   failing: a wrong byte count (8x for words vs bytes), wrong time units, a pass that skips most of
//   the buffer.
#include "core/kernels/memory_bandwidth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace eaglerun {
namespace {

constexpr std::size_t kBufferBytes = std::size_t(128) << 20;
constexpr int kRounds = 5;
constexpr int kAttempts = 3;
constexpr double kLow = 0.25, kHigh = 4.0;

double plain_read_gbps(std::size_t bytes, int passes) {
  const std::size_t words = bytes / sizeof(uint64_t);
  std::vector<uint64_t> data(words);
  for (std::size_t i = 0; i < words; ++i) data[i] = i * 2654435761u;
  double best = 1e30;
  volatile uint64_t sink = 0;
  for (int pass = 0; pass < passes; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    uint64_t s = 0;
    for (std::size_t i = 0; i < words; ++i) s += data[i];
    sink = sink + s;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }
  return static_cast<double>(words * sizeof(uint64_t)) / best / 1e9;
}

TEST(MemoryBandwidth, AgreesWithAnIndependentProbe) {
  ThreadPool pool(1);
  double ratio = 0;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    double ours = 0, plain = 0;
    for (int round = 0; round < kRounds; ++round) {  // interleaved, best of each: load spikes hit both
      ours = std::max(ours, measure_read_bandwidth_gbps(pool, kBufferBytes));
      plain = std::max(plain, plain_read_gbps(kBufferBytes, 5));
    }
    ASSERT_TRUE(std::isfinite(ours));
    ratio = ours / plain;
    std::printf("  attempt %d: measure_read_bandwidth_gbps %.2f GB/s, plain read loop %.2f GB/s, ratio %.3f\n",
                attempt, ours, plain, ratio);
    if (ratio >= kLow && ratio <= kHigh) break;
  }
  EXPECT_GE(ratio, kLow);
  EXPECT_LE(ratio, kHigh);
}

}  // namespace
}  // namespace eaglerun
