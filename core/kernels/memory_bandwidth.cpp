// Streaming read bandwidth: every thread of the pool sums 64-bit words of its own contiguous share
// of one large buffer (first touched by that same thread, so pages sit near it); best of 5 passes.
#include "core/kernels/memory_bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace eaglerun {

namespace {

struct FreeDeleter {
  void operator()(uint64_t* p) const { std::free(p); }
};

// Software prefetch distance: the matmul kernels prefetch too, and without it this probe would
// understate what a tuned streaming loop gets on CPUs whose hardware prefetchers ramp up slowly.
constexpr int64_t kPrefetchWords = 2048 / sizeof(uint64_t);

uint64_t sum_words(const uint64_t* p, int64_t n) {
  uint64_t acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __builtin_prefetch(p + i + kPrefetchWords, 0, 3);  // one 64-byte line per iteration
    for (int j = 0; j < 8; ++j) acc[j] += p[i + j];
  }
  for (; i < n; ++i) acc[0] += p[i];
  uint64_t total = 0;
  for (uint64_t a : acc) total += a;
  return total;
}

}  // namespace

double measure_read_bandwidth_gbps(ThreadPool& pool, std::size_t buffer_bytes) {
  constexpr int kPasses = 5;
  const int64_t words = static_cast<int64_t>(std::max<std::size_t>(buffer_bytes, 1 << 20) / sizeof(uint64_t));
  const std::size_t bytes = static_cast<std::size_t>(words) * sizeof(uint64_t);
  std::unique_ptr<uint64_t, FreeDeleter> buffer(static_cast<uint64_t*>(std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096)));
  if (!buffer) throw std::bad_alloc();
  uint64_t* data = buffer.get();
  pool.parallel_for(words, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) data[i] = static_cast<uint64_t>(i);
  }, 4096);

  double best_seconds = 1e30;
  volatile uint64_t sink = 0;
  for (int pass = 0; pass < kPasses; ++pass) {
    std::atomic<uint64_t> total{0};
    const auto start = std::chrono::steady_clock::now();
    pool.parallel_for(words, [&](int64_t begin, int64_t end) {
      total.fetch_add(sum_words(data + begin, end - begin), std::memory_order_relaxed);
    }, 4096);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best_seconds = std::min(best_seconds, elapsed.count());
    sink = sink + total.load();
  }
  return static_cast<double>(bytes) / best_seconds / 1e9;
}

}  // namespace eaglerun
