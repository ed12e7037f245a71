// Whole models on the CUDA backend (core/backend/cuda_backend.cpp): their logits match the CPU
// reference backend's, greedy tokens are the same, EAGLE stays lossless (tree verification, KV
// compaction on the device), and every device buffer is given back. Built twice (tests/cuda/CMakeLists.txt):
//   test_cuda_backend_emulated: over host memory, a reference GEMM with cuBLAS's conventions and the
//     kernels compiled against the emulation (no GPU; cannot see the real runtime, cuBLAS, speed);
//   test_cuda_backend_gpu (label gpu): the CUDA runtime, cuBLAS and the nvcc kernels on GPU 0.
// make_test_cuda_backend (cuda_test_backend.h) is what differs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>

#include "core/eagle/draft_head.h"
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/model_drafter.h"
#include "core/eagle/speculative.h"
#include "core/runtime/generator.h"
#include "core/weights/open_model.h"
#include "tests/cuda/cuda_test_backend.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

class CudaModel : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    store_ = open_model(test::fixture(GetParam()));
    cpu_ = std::make_unique<Model>(store_, pool_, Precision::Reference);
    cuda_ = std::make_unique<Model>(store_, ModelWeights::load(*store_), ModelShard::whole(store_->config()),
                                    test::make_test_cuda_backend(&live_), pool_, Precision::Reference);
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
  std::unique_ptr<Model> cpu_, cuda_;
};

// Both sum in fp32 in different orders (the kernels' tolerances: tests/cuda/*_kernel*_test.cpp).
float tolerance(float reference) { return 2e-4f * (1.f + std::fabs(reference)); }

TEST_P(CudaModel, LogitsAndFeaturesMatchTheCpuReference) {
  const auto p = prompt(1, 11);
  KvCache cpu_kv = cpu_->make_cache(64), cuda_kv = cuda_->make_cache(64);
  const ForwardOutput want = cpu_->forward_causal(p, cpu_kv, LogitRows::All);
  const ForwardOutput got = cuda_->forward_causal(p, cuda_kv, LogitRows::All);
  ASSERT_EQ(got.logits.size(), want.logits.size());
  ASSERT_EQ(got.hidden.size(), want.hidden.size());
  for (std::size_t i = 0; i < want.logits.size(); ++i) {
    ASSERT_NEAR(got.logits[i], want.logits[i], tolerance(want.logits[i])) << "logit " << i;
  }
  for (std::size_t i = 0; i < want.hidden.size(); ++i) {
    ASSERT_NEAR(got.hidden[i], want.hidden[i], tolerance(want.hidden[i])) << "feature " << i;
  }
  // The cache holds the same rows.
  const int64_t K = cpu_kv.kv_dim();
  std::vector<float> k0(K), v0(K), k1(K), v1(K);
  cpu_kv.read(1, 7, k0.data(), v0.data());
  cuda_kv.read(1, 7, k1.data(), v1.data());
  for (int64_t i = 0; i < K; ++i) ASSERT_NEAR(k1[i], k0[i], tolerance(k0[i])) << "key " << i;
}

TEST_P(CudaModel, GreedyTokensEqualTheCpuReference) {
  for (uint64_t seed = 0; seed < 2; ++seed) {
    const auto p = prompt(seed, 7);
    Sampler a({}), b({});
    EXPECT_EQ(generate_plain(*cuda_, a, {p, 16, {}, {}}).output_tokens,
              generate_plain(*cpu_, b, {p, 16, {}, {}}).output_tokens)
        << "prompt " << seed;
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

INSTANTIATE_TEST_SUITE_P(TinyModels, CudaModel, ::testing::Values("tiny_llama", "tiny_llama_bf16", "tiny_mixtral"));

}  // namespace
}  // namespace eaglerun
