// Whole models on the CUDA backend (core/backend/cuda_backend.cpp): their logits match the CPU
// reference backend's, greedy tokens are the same, EAGLE stays lossless (tree verification, KV
// compaction on the device), and every device buffer is given back; and its 16-bit-weight product
// (activations rounded to the weight's type, then the tensor-core GEMM) on its own.
//
// The CPU reference multiplies fp32 activations; the CUDA backend rounds them to bf16 / fp16 before
// every product with an F16 / BF16 weight (cuda_backend.h). So each model is also run on the CPU
// with that one rounding added (RoundedActivationsCpu: the reference matmul of the rounded
// activations, exact products and fp32 sums as on the tensor cores): the CUDA backend matches that
// at the fp32-summation-order tolerance, whatever the weights' type, with the same greedy tokens.
// Against the plain CPU reference, float32 models keep that tolerance; the bf16 model is held to
// bf16_activation_tolerance below. Built twice (tests/cuda/CMakeLists.txt):
//   test_cuda_backend_emulated: over host memory, a reference GEMM with cuBLAS's conventions and the
//     kernels compiled against the emulation (no GPU; cannot see the real runtime, cuBLAS, speed);
//   test_cuda_backend_gpu (label gpu): the CUDA runtime, cuBLAS and the nvcc kernels on GPU 0.
// make_test_cuda_backend (cuda_test_backend.h) is what differs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/backend/cpu_backend.h"
#include "core/eagle/draft_head.h"
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/model_drafter.h"
#include "core/eagle/speculative.h"
#include "core/kernels/matmul.h"
#include "core/runtime/generator.h"
#include "core/weights/open_model.h"
#include "tests/cuda/cuda_test_backend.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

bool is_16bit(DType t) { return t == DType::BF16 || t == DType::F16; }

// x rounded to `type` (BF16 / F16) and back, as the CUDA backend's activations are (cuda::fp32_to_16bit:
// bit for bit these conversions, tests/cuda/convert_kernel_test.cpp).
float round_to(DType type, float x) {
  return type == DType::BF16 ? bf16_to_fp32(fp32_to_bf16(x)) : fp16_to_fp32(fp32_to_fp16(x));
}

// The CPU reference backend plus the CUDA backend's one deliberate rounding: a product with an F16 /
// BF16 weight first rounds its activations to that type. Everything else is the CPU backend's own.
class RoundedActivationsCpu final : public Backend {
 public:
  explicit RoundedActivationsCpu(ThreadPool& pool) : cpu_(pool, Precision::Reference) {}
  std::string name() const override { return "cpu (16-bit activations)"; }
  bool host_memory() const override { return true; }
  DeviceBuffer allocate(int64_t bytes) override { return cpu_.allocate(bytes); }  // cpu_ frees them
  void upload(void* device, const void* host, int64_t bytes) override { cpu_.upload(device, host, bytes); }
  void download(void* host, const void* device, int64_t bytes) override { cpu_.download(host, device, bytes); }
  void copy(void* to, const void* from, int64_t bytes) override { cpu_.copy(to, from, bytes); }
  void zero(void* device, int64_t bytes) override { cpu_.zero(device, bytes); }
  void prepare(const TensorView& w) override { cpu_.prepare(w); }
  void prepare(std::span<const float> vector) override { cpu_.prepare(vector); }
  void release_weights() override { cpu_.release_weights(); }
  void matmul(const TensorView& w, const float* x, int64_t n, float* y) override {
    if (!is_16bit(w.dtype)) return cpu_.matmul(w, x, n, y);
    std::vector<float> rounded(x, x + n * w.cols());
    for (float& v : rounded) v = round_to(w.dtype, v);
    cpu_.matmul(w, rounded.data(), n, y);
  }
  void rmsnorm(const float* x, std::span<const float> weight, int64_t n, float eps, float* out) override {
    cpu_.rmsnorm(x, weight, n, eps, out);
  }
  void rope(float* x, std::span<const int32_t> positions, int64_t n_heads, int64_t head_dim, double theta,
            RopePairing pairing) override {
    cpu_.rope(x, positions, n_heads, head_dim, theta, pairing);
  }
  void silu_mul(const float* gate, const float* up, int64_t n, float* out) override { cpu_.silu_mul(gate, up, n, out); }
  void add(float* out, const float* x, int64_t n) override { cpu_.add(out, x, n); }
  void embed(const TensorView& table, std::span<const int32_t> tokens, float* out) override {
    cpu_.embed(table, tokens, out);
  }
  void gather_rows(const float* x, std::span<const int64_t> rows, int64_t width, float* out) override {
    cpu_.gather_rows(x, rows, width, out);
  }
  void add_weighted_rows(float* out, std::span<const int64_t> rows, std::span<const float> weights, const float* y,
                         int64_t width) override {
    cpu_.add_weighted_rows(out, rows, weights, y, width);
  }
  void attention(std::span<const AttentionSegment> segments, const ModelConfig& config) override {
    cpu_.attention(segments, config);
  }
  void kv_write(const KvLayer& layer, int64_t first, const float* k, const float* v, int64_t n) override {
    cpu_.kv_write(layer, first, k, v, n);
  }
  void kv_keep(const KvLayer& layer, std::span<const int64_t> indices) override { cpu_.kv_keep(layer, indices); }

 protected:
  void free(void*, int64_t) override {}  // never called: every buffer belongs to cpu_

 private:
  CpuBackend cpu_;
};

class CudaModel : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    store_ = open_model(test::fixture(GetParam()));
    cpu_ = std::make_unique<Model>(store_, pool_, Precision::Reference);
    cpu16_ = std::make_unique<Model>(store_, ModelWeights::load(*store_), ModelShard::whole(store_->config()),
                                     std::make_shared<RoundedActivationsCpu>(pool_), pool_, Precision::Reference);
    cuda_ = std::make_unique<Model>(store_, ModelWeights::load(*store_), ModelShard::whole(store_->config()),
                                    test::make_test_cuda_backend(&live_), pool_, Precision::Reference);
    const ModelWeights& w = cuda_->weights();
    has_16bit_weights_ = is_16bit(w.lm_head.dtype) || is_16bit(w.layers[0].wq.dtype);
  }
  std::vector<int32_t> prompt(uint64_t seed, int n) const {
    std::mt19937_64 rng(seed);
    std::vector<int32_t> p;
    for (int i = 0; i < n; ++i) p.push_back(static_cast<int32_t>(rng() % store_->config().vocab_size));
    return p;
  }

  std::atomic<int64_t> live_{0};
  ThreadPool pool_{2};
  std::shared_ptr<const WeightStore> store_;
  std::unique_ptr<Model> cpu_, cpu16_, cuda_;  // CPU reference, the same with 16-bit activations, CUDA
  bool has_16bit_weights_ = false;
};

// Both sum in fp32 in different orders (the kernels' tolerances: tests/cuda/*_kernel*_test.cpp).
float tolerance(float reference) { return 2e-4f * (1.f + std::fabs(reference)); }

// The bf16 model against the plain CPU reference (fp32 activations): every product's input is
// rounded to bf16 on the CUDA backend, a relative change of at most u = 2^-9 per element, so a
// product y = sum w_i x_i moves by at most u sum |w_i x_i|. This fixture's large random weights
// (std 0.15 over 64-128 inputs, sharp attention) amplify that through its 2 layers: the CPU
// reference with the same rounding (RoundedActivationsCpu) moves the logits and features by up to
// 12 u (1 + |ref|) on the prompt below and up to 30 u on 40 other prompts (logits up to 7, shifts
// up to 0.10). The tolerance, 64 u (1 + |ref|), is that amplification with a margin; the test checks
// that the CPU's own rounded run stays inside it too, so it measures the rounding, not the backend.
float bf16_activation_tolerance(float reference) { return 64.f * 0x1p-9f * (1.f + std::fabs(reference)); }

// The largest |got - want| / tolerance(want) (<= 1: within), where it is, and the largest |got - want|;
// the first NaN difference, if any, is the worst.
struct Distance {
  float worst = 0;
  std::size_t at = 0;
  float max_abs = 0;
};
Distance distance(const std::vector<float>& got, const std::vector<float>& want, float (*tol)(float)) {
  Distance d;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const float diff = std::fabs(got[i] - want[i]);
    const float r = diff / tol(want[i]);
    if (std::isnan(r)) return {r, i, diff};
    d.max_abs = std::max(d.max_abs, diff);
    if (r > d.worst) d.worst = r, d.at = i;
  }
  return d;
}
void expect_within(const std::vector<float>& got, const std::vector<float>& want, float (*tol)(float),
                   const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  const Distance d = distance(got, want, tol);
  EXPECT_LE(d.worst, 1.f) << what << " " << d.at << ": " << got[d.at] << " vs " << want[d.at]
                          << " (largest |difference| " << d.max_abs << ")";
}

TEST_P(CudaModel, LogitsAndFeaturesMatchTheCpuReference) {
  const auto p = prompt(1, 11);
  KvCache cpu_kv = cpu_->make_cache(64), cpu16_kv = cpu16_->make_cache(64), cuda_kv = cuda_->make_cache(64);
  const ForwardOutput want = cpu_->forward_causal(p, cpu_kv, LogitRows::All);
  const ForwardOutput want16 = cpu16_->forward_causal(p, cpu16_kv, LogitRows::All);
  const ForwardOutput got = cuda_->forward_causal(p, cuda_kv, LogitRows::All);
  const int64_t K = cpu_kv.kv_dim();
  std::vector<float> k0(K), v0(K), k16(K), v16(K), k1(K), v1(K);
  cpu_kv.read(1, 7, k0.data(), v0.data());
  cpu16_kv.read(1, 7, k16.data(), v16.data());
  cuda_kv.read(1, 7, k1.data(), v1.data());

  // The same arithmetic as the CUDA backend's (16-bit activations where the weights are 16-bit):
  // the fp32 summation order apart, the same logits, features and cache rows.
  expect_within(got.logits, want16.logits, tolerance, "logit (vs 16-bit activations)");
  expect_within(got.hidden, want16.hidden, tolerance, "feature (vs 16-bit activations)");
  expect_within(k1, k16, tolerance, "key (vs 16-bit activations)");
  expect_within(v1, v16, tolerance, "value (vs 16-bit activations)");

  // The plain CPU reference: the same tolerance for float32 weights (both CPU runs are then the
  // same); for 16-bit weights, the size of the rounding's effect (which the comparison above shows
  // to be the whole difference).
  const auto tol = has_16bit_weights_ ? bf16_activation_tolerance : tolerance;
  expect_within(got.logits, want.logits, tol, "logit (vs the CPU reference)");
  expect_within(got.hidden, want.hidden, tol, "feature (vs the CPU reference)");
  expect_within(k1, k0, tol, "key (vs the CPU reference)");
  expect_within(v1, v0, tol, "value (vs the CPU reference)");
  if (has_16bit_weights_) {
    // The CPU's own rounded run is as far from the plain reference, and farther than the fp32
    // tolerance: the rounding is real, so the first comparison could tell a backend that skipped it.
    expect_within(want16.logits, want.logits, bf16_activation_tolerance, "logit (CPU, 16-bit activations)");
    expect_within(want16.hidden, want.hidden, bf16_activation_tolerance, "feature (CPU, 16-bit activations)");
    EXPECT_GT(distance(want16.logits, want.logits, tolerance).worst, 1.f);
  } else {
    EXPECT_EQ(want16.logits, want.logits);
  }
}

// Against the CPU with the same rounding: the smallest top-2 logit margin along these generations
// is 0.0028 (Mixtral), 0.010 (bf16 Llama), far above the fp32-order differences (~2e-6), so the
// tokens must be equal. Against the plain reference for the bf16 model: the rounding moves these
// rows' logits by up to 0.054, more than that 0.010 margin, so no bound makes the tokens equal; they
// are for these two prompts (a fact about the two CPU runs alone, deterministic) and stay checked.
TEST_P(CudaModel, GreedyTokensEqualTheCpuReference) {
  for (uint64_t seed = 0; seed < 2; ++seed) {
    const auto p = prompt(seed, 7);
    Sampler a({}), b({}), c({});
    const auto got = generate_plain(*cuda_, a, {p, 16, {}, {}}).output_tokens;
    EXPECT_EQ(got, generate_plain(*cpu16_, b, {p, 16, {}, {}}).output_tokens) << "prompt " << seed;
    EXPECT_EQ(got, generate_plain(*cpu_, c, {p, 16, {}, {}}).output_tokens) << "prompt " << seed;
  }
}

TEST_P(CudaModel, GreedyEagleOnTheDeviceEqualsPlainDecoding) {
  const DraftHead head = DraftHead::random(DraftHeadConfig::for_target(cuda_->config()), 7, 0.2f);
  EagleDrafter drafter(*cuda_, head, 128);
  for (const char* tree : {"eagle1", "chain:3"}) {
    const auto p = prompt(3, 9);
    Sampler plain_sampler({}), eagle_sampler({});
    const auto want = generate_plain(*cuda_, plain_sampler, {p, 20, {}, {}}).output_tokens;
    const SpeculativeResult r = generate_speculative(*cuda_, drafter, parse_tree_spec(tree), eagle_sampler,
                                                     {p, 20, {}, {}});
    EXPECT_EQ(r.generation.output_tokens, want) << tree;
  }
}

// The target drafting for itself: every drafted path is accepted, deep in a static tree whose
// accepted nodes are not contiguous, so the KV cache is compacted (kv_keep) on the device each step.
TEST_P(CudaModel, SelfDraftedTreesAreAcceptedAndCompactedOnTheDevice) {
  ModelDrafter drafter(*cuda_, 128);
  const auto p = prompt(4, 9);
  Sampler plain_sampler({}), eagle_sampler({});
  const auto want = generate_plain(*cuda_, plain_sampler, {p, 24, {}, {}}).output_tokens;
  const SpeculativeResult r = generate_speculative(*cuda_, drafter, parse_tree_spec("eagle1"), eagle_sampler,
                                                   {p, 24, {}, {}});
  EXPECT_EQ(r.generation.output_tokens, want);
  EXPECT_GT(r.stats.tau(), 2.5);  // several tokens accepted per step
}

TEST_P(CudaModel, EveryDeviceBufferIsGivenBack) {
  {
    KvCache kv = cuda_->make_cache(32);
    cuda_->forward_causal(prompt(5, 4), kv);
    EXPECT_GT(live_.load(), 0);
  }
  cuda_.reset();
  EXPECT_EQ(live_.load(), 0);
}

// CudaBackend::matmul with an F16 / BF16 weight: y = W . round(x), the activations rounded to the
// weight's type, the products exact and summed in fp32 in any order. Each of the k = in additions
// errs by at most one fp32 ulp of the running sum (tensor cores may truncate rather than round), so
// |y - exact| <= in * 2^-23 * sum_p |w_p round(x_p)|. Odd shapes (out and n not multiples of 8 or
// of a warp), several n so that the activation scratch grows, every device buffer given back.
TEST(CudaBackendMatmul, SixteenBitWeightsMultiplyActivationsRoundedToTheirType) {
  std::atomic<int64_t> live{0};
  {
    const std::shared_ptr<Backend> backend = test::make_test_cuda_backend(&live);
    constexpr int64_t out = 37, in = 96;
    std::mt19937 random(3);
    for (const DType type : {DType::BF16, DType::F16}) {
      for (const int64_t n : {int64_t{1}, int64_t{5}, int64_t{33}, int64_t{400}}) {
        SCOPED_TRACE(std::string(type == DType::BF16 ? "bf16" : "fp16") + ", n " + std::to_string(n));
        std::uniform_real_distribution<float> weight(-1.f, 1.f), activation(-4.f, 4.f);
        std::vector<uint16_t> bits(out * in);
        for (uint16_t& b : bits) b = type == DType::BF16 ? fp32_to_bf16(weight(random)) : fp32_to_fp16(weight(random));
        const TensorView w{"w", type, {out, in}, reinterpret_cast<const std::byte*>(bits.data()),
                           bits.size() * sizeof(uint16_t)};
        std::vector<float> x(n * in);
        for (float& v : x) v = activation(random);
        std::vector<float> y(n * out);
        {
          const DeviceBuffer dx = allocate_floats(*backend, n * in), dy = allocate_floats(*backend, n * out);
          backend->upload(dx.data(), x.data(), dx.bytes());
          backend->matmul(w, dx.as<float>(), n, dy.as<float>());
          backend->download(y.data(), dy.data(), dy.bytes());
        }
        const auto widen = [type](uint16_t h) { return type == DType::BF16 ? bf16_to_fp32(h) : fp16_to_fp32(h); };
        bool rounding_shows = false;  // some output differs from the fp32-activation product by more than the bound
        for (int64_t i = 0; i < n; ++i) {
          for (int64_t o = 0; o < out; ++o) {
            double exact = 0, magnitude = 0, unrounded = 0;
            for (int64_t p = 0; p < in; ++p) {
              const double wp = widen(bits[o * in + p]), xp = x[i * in + p];
              exact += wp * round_to(type, x[i * in + p]);
              magnitude += std::fabs(wp * round_to(type, x[i * in + p]));
              unrounded += wp * xp;
            }
            const double bound = in * 0x1p-23 * magnitude;
            ASSERT_LE(std::fabs(y[i * out + o] - exact), bound) << "row " << i << " output " << o;
            rounding_shows = rounding_shows || std::fabs(unrounded - exact) > 2 * bound;
          }
        }
        EXPECT_TRUE(rounding_shows);
        backend->release_weights();  // the next case's weight may reuse these host bytes
      }
    }
  }
  EXPECT_EQ(live.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, CudaModel, ::testing::Values("tiny_llama", "tiny_llama_bf16", "tiny_mixtral"));

}  // namespace
}  // namespace eaglerun
