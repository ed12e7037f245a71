// Every matmul of one SmolLM2-135M Q4_1 forward pass (30 layers of q, k, v, o, gate, up, down in
// Q4_1, then the 49152 x 576 Q8_0 LM head), on synthetic weights: the matmul-only upper bound of
// decode (n = 1) and prefill / tree verification (n = 32, 128) speed. tokens_per_second counts
// the n tokens of each pass; of_peak_bw (n = 1) compares the weight stream with
// measure_read_bandwidth_gbps. Args: n, threads, grouped (1: q/k/v and gate/up through matmul_many).
#include <benchmark/benchmark.h>

#include <map>

#include "bench/synthetic_weights.h"
#include "core/kernels/matmul.h"
#include "core/kernels/memory_bandwidth.h"

namespace eaglerun::bench {
namespace {

constexpr int kLayers = 30;
constexpr int64_t kHidden = 576, kKv = 192, kFfn = 1536, kVocab = 49152;

// measure_read_bandwidth_gbps for a pool of this size, measured once per run.
double peak_gbps(ThreadPool& pool) {
  static std::map<int, double> peak;
  auto it = peak.find(pool.size());
  if (it == peak.end()) it = peak.emplace(pool.size(), measure_read_bandwidth_gbps(pool)).first;
  return it->second;
}

struct Layer {
  TensorView q, k, v, o, gate, up, down;
};

void BM_SmolLM2Matmuls(benchmark::State& state) {
  const int64_t n = state.range(0);
  ThreadPool pool(static_cast<int>(state.range(1)));
  SyntheticArena arena(std::size_t(100) << 20);  // one buffer, like the mapped GGUF file
  std::vector<Layer> layers;
  for (int l = 0; l < kLayers; ++l) {
    const uint32_t s = 10 * l;
    layers.push_back({arena.add(DType::Q4_1, kHidden, kHidden, s), arena.add(DType::Q4_1, kKv, kHidden, s + 1),
                      arena.add(DType::Q4_1, kKv, kHidden, s + 2), arena.add(DType::Q4_1, kHidden, kHidden, s + 3),
                      arena.add(DType::Q4_1, kFfn, kHidden, s + 4), arena.add(DType::Q4_1, kFfn, kHidden, s + 5),
                      arena.add(DType::Q4_1, kHidden, kFfn, s + 6)});
  }
  const TensorView head = arena.add(DType::Q8_0, kVocab, kHidden, 999);
  const std::size_t bytes = arena.used();
  const std::vector<float> x = synthetic_activations(n, kFfn);
  std::vector<float> y(static_cast<std::size_t>(n * kVocab));
  std::vector<float> y2(static_cast<std::size_t>(n * kFfn)), y3(static_cast<std::size_t>(n * kKv));
  const Precision p = Precision::Fast;
  const bool grouped = state.range(2) != 0;
  for (auto _ : state) {
    for (const Layer& L : layers) {
      if (grouped) {
        const MatmulTarget qkv[] = {{&L.q, y.data()}, {&L.k, y2.data()}, {&L.v, y3.data()}};
        const MatmulTarget gate_up[] = {{&L.gate, y.data()}, {&L.up, y2.data()}};
        matmul_many(qkv, x.data(), n, p, pool);
        matmul(L.o, x.data(), n, y.data(), p, pool);
        matmul_many(gate_up, x.data(), n, p, pool);
      } else {
        matmul(L.q, x.data(), n, y.data(), p, pool);
        matmul(L.k, x.data(), n, y.data(), p, pool);
        matmul(L.v, x.data(), n, y.data(), p, pool);
        matmul(L.o, x.data(), n, y.data(), p, pool);
        matmul(L.gate, x.data(), n, y.data(), p, pool);
        matmul(L.up, x.data(), n, y.data(), p, pool);
      }
      matmul(L.down, x.data(), n, y.data(), p, pool);
    }
    matmul(head, x.data(), n, y.data(), p, pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
  state.counters["tokens_per_second"] =
      benchmark::Counter(static_cast<double>(n * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["weight_MB"] = static_cast<double>(bytes) / 1e6;
  if (n == 1) {
    // Weight bytes per second over the machine's streaming read bandwidth (1 GiB probe, from DRAM;
    // the model's ~96 MB may partly stay in a large last-level cache, so this can exceed 1).
    const double gbps = static_cast<double>(bytes) * static_cast<double>(state.iterations()) / 1e9;
    state.counters["of_peak_bw"] = benchmark::Counter(gbps / peak_gbps(pool), benchmark::Counter::kIsRate);
  }
}

BENCHMARK(BM_SmolLM2Matmuls)
    ->ArgNames({"n", "threads", "grouped"})
    ->Args({1, 1, 0})->Args({1, 2, 0})->Args({1, 1, 1})->Args({1, 2, 1})
    ->Args({32, 1, 0})->Args({32, 2, 0})->Args({128, 1, 0})->Args({128, 2, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace eaglerun::bench
