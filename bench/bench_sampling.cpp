// Per-token sampling time, the reference sampler (a stable sort of the whole vocabulary; kept in
// tests/sampling/reference_sampler.h) against core/sampling's, on V = 49,152 logits: no truncation,
// top-k 40 and top-p 0.9 at T = 1, and the verifier's call (distribution() alone). Both run on the
// same logit vectors, alternating, and must give the same tokens; prints medians over rounds and how
// often the fast path fell back to a left-to-right or sorted computation (or radix-sorted the small
// terms). Logits are synthetic (a normal body and a few strong candidates) or, with --model, the
// model's own: the last row after a chat prompt and after each of its greedy tokens.
//   bench_sampling [--vocab N] [--tokens N] [--rounds N] [--isa scalar|avx2|avx512]
//                  [--model PATH [--prompt TEXT]]
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/kernels/exp_kernels.h"
#include "core/kernels/kernel_isa.h"
#include "core/kernels/ops.h"
#include "core/runtime/engine.h"
#include "core/sampling/sampler.h"
#include "tests/sampling/reference_sampler.h"

using namespace eaglerun;

namespace {

// LM-like logits: a normal body, a handful of strong candidates.
std::vector<std::vector<float>> make_logits(int64_t V, int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> body(0.f, 2.5f);
  std::vector<std::vector<float>> out(static_cast<std::size_t>(count), std::vector<float>(static_cast<std::size_t>(V)));
  for (auto& l : out) {
    for (float& v : l) v = body(rng);
    for (int j = 0; j < 8; ++j) l[rng() % V] = 9.f + 3.f * body(rng) / 2.5f;
  }
  return out;
}

// The model's logits after the prompt and after each of its greedy tokens: `count` rows of [V].
std::vector<std::vector<float>> model_logits(const std::string& path, const std::string& prompt, int count) {
  EngineOptions options;
  options.model_path = path;
  const Engine engine(options);
  const Model& model = engine.model();
  const std::vector<int32_t> tokens = engine.encode_prompt(prompt, false);
  KvCache kv = model.make_cache(static_cast<int64_t>(tokens.size()) + count);
  std::vector<std::vector<float>> out;
  ForwardOutput step = model.forward_causal(tokens, kv, LogitRows::Last);
  while (static_cast<int>(out.size()) < count) {
    out.push_back(step.logits);
    const auto next = static_cast<int32_t>(argmax(step.logits.data(), static_cast<int64_t>(step.logits.size())));
    step = model.forward_causal(std::span(&next, 1), kv, LogitRows::Last);
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class Fn>
double micros_per_call(const Fn& fn, int calls) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) fn(i);
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t V = 49152;
  int tokens = 50, rounds = 5;
  std::string model_path, prompt = "Write a long story about a dragon.";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--vocab")) V = std::stoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--tokens")) tokens = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--model")) model_path = argv[i + 1];
    if (!std::strcmp(argv[i], "--prompt")) prompt = argv[i + 1];
    if (!std::strcmp(argv[i], "--isa")) {
      const std::string name = argv[i + 1];
      set_kernel_isa(name == "scalar" ? KernelIsa::Scalar : name == "avx2" ? KernelIsa::Avx2 : KernelIsa::Avx512);
    }
  }
  if (tokens < 1 || rounds < 1 || V < 1) {
    fmt::print(stderr, "bench_sampling: --tokens, --rounds and --vocab must be positive\n");
    return 1;
  }
  std::vector<std::vector<float>> logits;
  try {
    logits = model_path.empty() ? make_logits(V, tokens, 11) : model_logits(model_path, prompt, tokens);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_sampling: {}\n", e.what());
    return 1;
  }
  V = static_cast<int64_t>(logits.front().size());
  fmt::print("{} logits, V {}, {} vectors, {} rounds, kernel ISA {} (vector exp: {})\n",
             model_path.empty() ? "synthetic" : model_path + "'s", V, tokens, rounds,
             kernel_isa_name(active_kernel_isa()), exp_shifted_vectorised() ? "yes" : "no");
  fmt::print("{:<30} {:>10} {:>10} {:>8}\n", "per token (median us)", "reference", "new", "speedup");
  struct Case {
    const char* name;
    SamplingParams params;
    bool distribution_only;
  };
  const Case cases[] = {
      {"sample, T=1", {.temperature = 1.f, .seed = 1}, false},
      {"sample, T=1 top-k 40", {.temperature = 1.f, .top_k = 40, .seed = 2}, false},
      {"sample, T=1 top-p 0.9", {.temperature = 1.f, .top_p = 0.9f, .seed = 3}, false},
      {"distribution, T=1", {.temperature = 1.f, .seed = 4}, true},
      {"distribution, T=0.7 top-p .9", {.temperature = 0.7f, .top_p = 0.9f, .seed = 5}, true},
  };
  int mismatches = 0;
  for (const Case& c : cases) {
    std::vector<double> old_us, new_us;
    sampling_detail::fallback_counts() = {};
    for (int r = 0; r < rounds; ++r) {
      reference::Sampler ref(c.params);
      Sampler fast(c.params);
      std::vector<int32_t> a(static_cast<std::size_t>(tokens)), b(static_cast<std::size_t>(tokens));
      volatile float sink = 0;
      if (c.distribution_only) {
        old_us.push_back(micros_per_call([&](int i) { sink = sink + ref.distribution(logits[i])[0]; }, tokens));
        new_us.push_back(micros_per_call([&](int i) { sink = sink + fast.distribution(logits[i])[0]; }, tokens));
      } else {
        old_us.push_back(micros_per_call([&](int i) { a[i] = ref.sample(logits[i]); }, tokens));
        new_us.push_back(micros_per_call([&](int i) { b[i] = fast.sample(logits[i]); }, tokens));
        mismatches += a != b;
      }
    }
    const double o = median(old_us), n = median(new_us);
    const auto& f = sampling_detail::fallback_counts();
    const double calls = tokens * rounds;
    fmt::print("{:<30} {:>10.1f} {:>10.1f} {:>7.1f}x   fallbacks/token: softmax {:.3f} sort {:.3f} indexed {:.3f} "
               "nucleus {:.3f} draw {:.3f} radix {:.3f} bounded-mass {:.3f}\n",
               c.name, o, n, o / n, f.softmax_sum / calls, f.ranked_sum / calls, f.ranked_indexed / calls,
               f.nucleus / calls, f.draw / calls, f.small_radix / calls,
               f.approximate_mass / calls);
  }
  if (mismatches) fmt::print("TOKENS DIFFER in {} case-rounds\n", mismatches);
  return mismatches ? 1 : 0;
}
