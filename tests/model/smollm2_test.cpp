// The default model (SmolLM2-135M-Instruct Q4_1 GGUF) against Hugging Face transformers running the
// same file dequantised to fp32 (data/fixtures/make_smollm2_fixtures.py).
//   Reference path: logits within 1e-3 at every position (transformers' own fp32-vs-fp64 spread on
//   these prompts is ~4e-5; logits are ~30 in magnitude), 64 greedy tokens identical on 5 prompts.
//   Fast path (8-bit activations x 4-bit weights, as llama.cpp computes): the RMS and the 99.9th
//   percentile of |fast - transformers| no larger than llama.cpp's own over the same entries
//   (smollm2/llama_cpp_logits.json) times a measured factor, and the same argmax as transformers
//   wherever transformers' top-2 margin is too wide for that error to close (see the constants).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "core/kernels/kernel_isa.h"
#include "core/kernels/ops.h"
#include "core/model/model.h"
#include "core/weights/open_model.h"
#include "tests/model/fixture_io.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

constexpr double kReferenceTolerance = 1e-3;
// The fast path quantises activations to 8 bits as llama.cpp does. Its worst single logit is
// chaotic under such noise (1.46 to 2.05 for our kernels below, 1.40 for llama.cpp), so the bounds
// are on statistics over many entries instead: every position of the three prompts (154) times every
// vocabulary entry that logits.json stores there, the union of transformers' top-64 ids and the fixed
// spread 0, 48, ..., 49104 (~1087 of the 49152 ids per position, 167,351 entries in all).
// llama.cpp's logits at the same entries give RMS 0.2605, p99.9 0.9770 (committed with them, checked
// below). Measured |fast - transformers| with each kernel ISA and the fast path's fp16 KV cache
// (deterministic for a given ISA: EAGLERUN_KERNEL_ISA=scalar|avx2|avx512 test_smollm2
// --gtest_filter='*FastPath*'):
//     ISA      RMS (x llama.cpp)   p99.9 (x llama.cpp)   max    argmax flips (margins)
//     scalar   0.2804 (1.08)       1.3678 (1.40)         1.93   3 (0.063-0.21)
//     avx2     0.2635 (1.01)       1.2206 (1.25)         1.70   3 (0.025-0.21)
//     avx512   0.2875 (1.10)       1.2541 (1.28)         1.74   4 (0.006-0.21)
// (With an fp32 cache: avx512 0.2572 / 0.9687, scalar 0.2739 / 1.3996, avx2 0.2800 / 1.3284: the
// 8-bit activations make these statistics move by about this much under any small perturbation.)
// The RMS is the stable statistic (within 10% of llama.cpp on every ISA): bound 1.15x. The p99.9
// depends more on the kernel's rounding (1.25x-1.40x): bound 1.6x, above the worst ISA with ~14% to
// spare. A systematic error (e.g. 7-bit activations, a wrong scale) moves both far past these.
constexpr double kRmsVsLlamaCpp = 1.15;
constexpr double kP999VsLlamaCpp = 1.6;
// The argmax can flip only where the errors of transformers' top two entries close its top-2 margin.
// With both errors within the p99.9 bound, that takes a margin below twice the bound (3.13); wider
// margins must keep transformers' argmax. Measured largest error on a top-2 margin over the 154
// positions: scalar 0.81, avx2 1.07, avx512 0.82, llama.cpp 0.61; every flip above is at a margin
// below 0.22.
constexpr double kDecisiveMargin = 2.0;
// Positions where transformers' margin exceeds that: 31 of 154 with the bounds above. The check must
// not silently shrink to nothing if the bounds are loosened.
constexpr int kMinDecisivePositions = 31;

class SmolLM2 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = std::shared_ptr<const WeightStore>(open_model(test::default_model_path()));
    logits_ = new nlohmann::json(test::read_json(test::fixture("smollm2/logits.json")));
    greedy_ = new nlohmann::json(test::read_json(test::fixture("smollm2/greedy.json")));
  }
  static void TearDownTestSuite() {
    delete logits_;
    delete greedy_;
    store_.reset();
  }

  // Max |ours - HF| over the stored vocabulary entries of every position, and argmax agreement.
  struct Comparison {
    double max_diff = 0;
    int argmax_mismatches = 0;
  };
  Comparison compare_prompt(const Model& model, const nlohmann::json& prompt) {
    const auto ids = prompt["ids"].get<std::vector<int32_t>>();
    KvCache kv = model.make_cache(static_cast<int64_t>(ids.size()));
    const ForwardOutput out = model.forward_causal(ids, kv, LogitRows::All);
    const int64_t V = model.config().vocab_size;
    Comparison c;
    for (std::size_t pos = 0; pos < ids.size(); ++pos) {
      const auto& want = prompt["positions"][pos];
      const float* row = out.logits.data() + pos * V;
      const auto vocab_ids = want["ids"].get<std::vector<int32_t>>();
      const auto values = want["logits"].get<std::vector<float>>();
      for (std::size_t k = 0; k < vocab_ids.size(); ++k) {
        c.max_diff = std::max(c.max_diff, std::fabs(static_cast<double>(row[vocab_ids[k]]) - values[k]));
      }
      if (argmax(row, V) != want["argmax"].get<int64_t>()) ++c.argmax_mismatches;
    }
    return c;
  }

  // Logits at the stored entries of every position of every prompt (fixture order), with the
  // full-vocabulary argmax at each position.
  struct StoredLogits {
    std::vector<std::vector<float>> rows;
    std::vector<int64_t> argmax;
    std::vector<std::string> where;  // "prompt position"
  };
  static StoredLogits transformers_logits() {
    StoredLogits s;
    for (const auto& prompt : (*logits_)["prompts"]) {
      for (std::size_t pos = 0; pos < prompt["positions"].size(); ++pos) {
        s.rows.push_back(prompt["positions"][pos]["logits"].get<std::vector<float>>());
        s.argmax.push_back(prompt["positions"][pos]["argmax"].get<int64_t>());
        s.where.push_back(prompt["name"].get<std::string>() + " " + std::to_string(pos));
      }
    }
    return s;
  }
  static StoredLogits llama_cpp_logits(const nlohmann::json& llama_cpp) {
    StoredLogits s;
    for (const auto& prompt : llama_cpp["prompts"]) {
      for (const auto& p : prompt["positions"]) {
        s.rows.push_back(p["logits"].get<std::vector<float>>());
        s.argmax.push_back(p["argmax"].get<int64_t>());
      }
    }
    return s;
  }
  StoredLogits logits_of(const Model& model) {
    StoredLogits s;
    const int64_t V = model.config().vocab_size;
    for (const auto& prompt : (*logits_)["prompts"]) {
      const auto ids = prompt["ids"].get<std::vector<int32_t>>();
      KvCache kv = model.make_cache(static_cast<int64_t>(ids.size()));
      const ForwardOutput out = model.forward_causal(ids, kv, LogitRows::All);
      for (std::size_t pos = 0; pos < ids.size(); ++pos) {
        const float* row = out.logits.data() + pos * V;
        std::vector<float> stored;
        for (int32_t id : prompt["positions"][pos]["ids"].get<std::vector<int32_t>>()) stored.push_back(row[id]);
        s.rows.push_back(std::move(stored));
        s.argmax.push_back(argmax(row, V));
      }
    }
    return s;
  }

  // |a - transformers| over every stored entry: RMS, the 99.9th percentile as numpy.percentile
  // computes it (linear interpolation between the sorted values at rank 0.999 (n - 1)), maximum.
  struct Distance {
    double rms = 0, p999 = 0, max = 0;
    int64_t entries = 0;
  };
  static Distance distance(const StoredLogits& a, const StoredLogits& hf) {
    EXPECT_EQ(a.rows.size(), hf.rows.size());
    std::vector<double> d;
    for (std::size_t i = 0; i < std::min(a.rows.size(), hf.rows.size()); ++i) {
      EXPECT_EQ(a.rows[i].size(), hf.rows[i].size()) << i;
      for (std::size_t k = 0; k < std::min(a.rows[i].size(), hf.rows[i].size()); ++k) {
        d.push_back(std::fabs(static_cast<double>(a.rows[i][k]) - static_cast<double>(hf.rows[i][k])));
      }
    }
    Distance r;
    r.entries = static_cast<int64_t>(d.size());
    if (d.empty()) return r;
    double squares = 0;
    for (double x : d) squares += x * x;
    r.rms = std::sqrt(squares / static_cast<double>(d.size()));
    std::sort(d.begin(), d.end());
    const double rank = 0.999 * static_cast<double>(d.size() - 1);
    const std::size_t lo = static_cast<std::size_t>(rank);
    const std::size_t hi = std::min(lo + 1, d.size() - 1);
    r.p999 = d[lo] + (rank - static_cast<double>(lo)) * (d[hi] - d[lo]);
    r.max = d.back();
    return r;
  }

  static std::shared_ptr<const WeightStore> store_;
  static nlohmann::json* logits_;
  static nlohmann::json* greedy_;
  ThreadPool pool_{2};
};

std::shared_ptr<const WeightStore> SmolLM2::store_;
nlohmann::json* SmolLM2::logits_;
nlohmann::json* SmolLM2::greedy_;

TEST_F(SmolLM2, ReferenceLogitsMatchTransformersAtEveryPosition) {
  Model model(store_, pool_, Precision::Reference);
  for (const auto& prompt : (*logits_)["prompts"]) {
    const Comparison c = compare_prompt(model, prompt);
    EXPECT_LE(c.max_diff, kReferenceTolerance) << prompt["name"];
    EXPECT_EQ(c.argmax_mismatches, 0) << prompt["name"];
    std::cout << "[ reference ] " << prompt["name"] << ": max |ours - transformers| = " << c.max_diff << "\n";
  }
}

TEST_F(SmolLM2, ReferenceFeaturesMatchTransformers) {
  Model model(store_, pool_, Precision::Reference);
  const auto& hidden = (*logits_)["hidden"];
  for (const auto& prompt : (*logits_)["prompts"]) {
    if (prompt["name"] != hidden["prompt"]) continue;
    const auto ids = prompt["ids"].get<std::vector<int32_t>>();
    KvCache kv = model.make_cache(static_cast<int64_t>(ids.size()));
    const ForwardOutput out = model.forward_causal(ids, kv, LogitRows::None);
    EXPECT_LE(test::max_abs_diff(out.hidden.data(), test::flatten(hidden["final_norm"])), kReferenceTolerance);
    return;
  }
  FAIL() << "fixture prompt for hidden states not found";
}

TEST_F(SmolLM2, ReferenceGreedyTokensEqualTransformers) {
  Model model(store_, pool_, Precision::Reference);
  for (const auto& prompt : (*greedy_)["prompts"]) {
    const auto ids = prompt["prompt_ids"].get<std::vector<int32_t>>();
    const auto want = prompt["output_ids"].get<std::vector<int32_t>>();
    KvCache kv = model.make_cache(static_cast<int64_t>(ids.size() + want.size()));
    ForwardOutput out = model.forward_causal(ids, kv, LogitRows::Last);
    std::vector<int32_t> got;
    while (got.size() < want.size()) {
      got.push_back(static_cast<int32_t>(argmax(out.logits.data(), model.config().vocab_size)));
      if (got.size() < want.size()) out = model.forward_causal(std::span(&got.back(), 1), kv, LogitRows::Last);
    }
    EXPECT_EQ(got, want) << prompt["name"];
  }
}

TEST_F(SmolLM2, FastPathIsAsCloseToTransformersAsLlamaCpp) {
  const nlohmann::json llama_cpp = test::read_json(test::fixture("smollm2/llama_cpp_logits.json"));
  const StoredLogits hf = transformers_logits();
  const Distance peer = distance(llama_cpp_logits(llama_cpp), hf);
  // The committed statistics are those of exactly these entries (make_llama_cpp_logits.py --stats-only).
  EXPECT_NEAR(peer.rms, llama_cpp["rms_abs_diff_vs_transformers"].get<double>(), 1e-9);
  EXPECT_NEAR(peer.p999, llama_cpp["p999_abs_diff_vs_transformers"].get<double>(), 1e-9);
  ASSERT_EQ(peer.entries, llama_cpp["entries"].get<int64_t>());

  Model model(store_, pool_, Precision::Fast);
  const StoredLogits fast = logits_of(model);
  const Distance ours = distance(fast, hf);
  std::cout << "[ fast ] " << kernel_isa_name(active_kernel_isa()) << ": |fast - transformers| rms " << ours.rms
            << " p99.9 " << ours.p999 << " max " << ours.max << " over " << ours.entries
            << " entries; llama.cpp: rms " << peer.rms << " p99.9 " << peer.p999 << " max " << peer.max << "\n";
  EXPECT_LE(ours.rms, kRmsVsLlamaCpp * peer.rms);
  EXPECT_LE(ours.p999, kP999VsLlamaCpp * peer.p999);

  const double decisive = kDecisiveMargin * kP999VsLlamaCpp * peer.p999;
  int checked = 0, mismatches = 0;
  double margin_error = 0;  // largest error on transformers' top-2 margin, at transformers' top two entries
  for (std::size_t i = 0; i < hf.rows.size(); ++i) {
    // Transformers' top two entries (exact over the stored entries: they include its top 64).
    const std::vector<float>& want = hf.rows[i];
    std::vector<std::size_t> order(want.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::partial_sort(order.begin(), order.begin() + 2, order.end(),
                      [&](std::size_t a, std::size_t b) { return want[a] > want[b]; });
    const double margin = static_cast<double>(want[order[0]]) - want[order[1]];
    const double got_margin = static_cast<double>(fast.rows[i][order[0]]) - fast.rows[i][order[1]];
    margin_error = std::max(margin_error, std::fabs(got_margin - margin));
    if (fast.argmax[i] != hf.argmax[i]) {
      ++mismatches;
      std::cout << "[ fast ] argmax differs at " << hf.where[i] << ", transformers' top-2 margin " << margin << "\n";
    }
    if (margin <= decisive) continue;
    ++checked;
    EXPECT_EQ(fast.argmax[i], hf.argmax[i]) << hf.where[i] << ": transformers' top-2 margin " << margin << " > "
                                            << decisive;
  }
  std::cout << "[ fast ] argmax checked at " << checked << " of " << hf.rows.size()
            << " positions (transformers' top-2 margin > " << decisive << "); mismatches anywhere: " << mismatches
            << "; largest error on a top-2 margin: " << margin_error << "\n";
  EXPECT_GE(checked, kMinDecisivePositions);
}

}  // namespace
}  // namespace eaglerun
