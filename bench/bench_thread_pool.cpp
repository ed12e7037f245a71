// Dispatch latency of ThreadPool::parallel_for: a loop whose ranges do nothing but, in range 0
// (the caller's), wait until every other range has run on a worker. The time per iteration is the
// round trip: publish the job, a worker picks it up, the caller sees it done. Arg: threads.
#include <benchmark/benchmark.h>

#include <atomic>

#include "core/kernels/memory_bandwidth.h"
#include "core/kernels/thread_pool.h"

namespace eaglerun::bench {
namespace {

void BM_ParallelForDispatch(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  ThreadPool pool(threads);
  std::atomic<int> others_done{0};
  const std::function<void(int64_t, int64_t)> fn = [&](int64_t begin, int64_t) {
    if (begin != 0) {
      others_done.fetch_add(1, std::memory_order_release);
      return;
    }
    while (others_done.load(std::memory_order_acquire) < threads - 1) {
    }
  };
  for (auto _ : state) {
    others_done.store(0, std::memory_order_relaxed);
    pool.parallel_for(threads, fn);
  }
}
BENCHMARK(BM_ParallelForDispatch)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();

// measure_read_bandwidth_gbps over a 1 GiB buffer (one run: it already takes the best of 5).
void BM_ReadBandwidth(benchmark::State& state) {
  ThreadPool pool(static_cast<int>(state.range(0)));
  double gbps = 0.0;
  for (auto _ : state) gbps = measure_read_bandwidth_gbps(pool);
  state.counters["GB_per_s"] = gbps;
}
BENCHMARK(BM_ReadBandwidth)->ArgName("threads")->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace eaglerun::bench
