// Matmul micro-benchmarks on the shapes of SmolLM2-135M (hidden 576, FFN 1536, vocab 49152, KV 192),
// for n = 1 (decoding), 2..32 (tree verification) and 128 (prefill):
//   bytes_per_second = weight bytes streamed per second; GFLOPs = 2 rows k n per second.
// Args: rows, k, n, threads. The kernel ISA is the best one the CPU has (EAGLERUN_KERNEL_ISA
// overrides it).
#include <benchmark/benchmark.h>

#include "bench/synthetic_weights.h"
#include "core/kernels/matmul.h"
#include "core/kernels/packed_weights.h"

namespace eaglerun::bench {
namespace {

void run_matmul(benchmark::State& state, DType t, Precision precision) {
  const int64_t rows = state.range(0), k = state.range(1), n = state.range(2);
  ThreadPool pool(static_cast<int>(state.range(3)));
  const SyntheticTensor w = synthetic_weights(t, rows, k);
  PackedWeights packed;  // as a loaded model has them (packed_weights.h)
  if (precision == Precision::Fast) packed.add(w.view, pool);
  const std::vector<float> x = synthetic_activations(n, k);
  std::vector<float> y(static_cast<std::size_t>(n * rows));
  for (auto _ : state) {
    matmul(w.view, x.data(), n, y.data(), precision, pool);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(w.bytes.size()));
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * rows * k * n * state.iterations() / 1e9,
                                                benchmark::Counter::kIsRate);
}

void BM_MatmulQ4_1(benchmark::State& s) { run_matmul(s, DType::Q4_1, Precision::Fast); }
void BM_MatmulQ4_0(benchmark::State& s) { run_matmul(s, DType::Q4_0, Precision::Fast); }
void BM_MatmulQ8_0(benchmark::State& s) { run_matmul(s, DType::Q8_0, Precision::Fast); }
void BM_MatmulF16(benchmark::State& s) { run_matmul(s, DType::F16, Precision::Fast); }
void BM_MatmulReferenceQ4_1(benchmark::State& s) { run_matmul(s, DType::Q4_1, Precision::Reference); }

// n: decoding (1), tree verification (2..32), prefill (128).
constexpr int kTokenCounts[] = {1, 2, 3, 4, 6, 8, 12, 16, 32, 128};

void ffn_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "k", "n", "threads"});
  for (int threads : {1, 2}) {
    for (int n : kTokenCounts) {
      b->Args({1536, 576, n, threads});  // gate / up
      b->Args({576, 1536, n, threads});  // down
    }
  }
}

// The attention projections: q / o (576 x 576) and k / v (192 x 576, 3 KV heads of 64).
void attention_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "k", "n", "threads"});
  for (int threads : {1, 2}) {
    for (int n : kTokenCounts) {
      b->Args({576, 576, n, threads});
      b->Args({192, 576, n, threads});
    }
  }
}

void lm_head_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "k", "n", "threads"});
  for (int threads : {1, 2}) {
    for (int n : {1, 2, 4, 8, 16, 32, 128}) b->Args({49152, 576, n, threads});
  }
}

BENCHMARK(BM_MatmulQ4_1)->Apply(ffn_shapes)->UseRealTime();
BENCHMARK(BM_MatmulQ4_1)->Apply(attention_shapes)->UseRealTime();
BENCHMARK(BM_MatmulQ8_0)->Apply(lm_head_shapes)->UseRealTime();
// A Q4_1 matrix far larger than L2: the weights stream from memory, as in a whole decode step.
BENCHMARK(BM_MatmulQ4_1)->ArgNames({"rows", "k", "n", "threads"})->Args({65536, 576, 1, 1})->Args({65536, 576, 1, 2})->UseRealTime();
// The gate/up shape with k = 512 (16 blocks) beside k = 576 (18): the AVX-512 row-group kernel's cost
// should grow with the blocks (the superblock kernel before it paid 1.2-1.5x per multiply-add for
// k = 576's two-block rest).
BENCHMARK(BM_MatmulQ4_1)->ArgNames({"rows", "k", "n", "threads"})->Args({1536, 512, 1, 1})->Args({1536, 512, 4, 1})->Args({1536, 512, 16, 1})->UseRealTime();
BENCHMARK(BM_MatmulQ4_0)->Args({1536, 576, 1, 1})->Args({1536, 576, 128, 1})->UseRealTime();
BENCHMARK(BM_MatmulF16)->Args({1536, 576, 1, 1})->Args({1536, 576, 32, 1})->UseRealTime();
BENCHMARK(BM_MatmulReferenceQ4_1)->Args({1536, 576, 1, 1})->Args({1536, 576, 32, 1})->UseRealTime();

}  // namespace
}  // namespace eaglerun::bench
