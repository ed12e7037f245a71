#pragma once
// The tiny random Llama fixture (H = 64, V = 256) as a training target, and training sequences
// made from it: random tokens, the target's own features, a mask of 0 on a "prompt" prefix.
#include <memory>
#include <random>
#include <vector>

#include "core/model/model.h"
#include "core/train/trainer.h"
#include "core/train/training_data.h"
#include "core/weights/open_model.h"
#include "tests/test_paths.h"

namespace eaglerun::train::test {

inline std::unique_ptr<Model> tiny_target(ThreadPool& pool) {
  return std::make_unique<Model>(std::shared_ptr<const WeightStore>(open_model(eaglerun::test::fixture("tiny_llama"))),
                                 pool, Precision::Fast);
}

// T tokens; loss_mask 0 on the first `prompt` tokens, 1 after.
inline TrainingSequence tiny_sequence(const Model& target, int64_t T, int64_t prompt, uint64_t seed) {
  std::mt19937_64 rng(seed);
  TrainingSequence s;
  for (int64_t i = 0; i < T; ++i) s.tokens.push_back(static_cast<int32_t>(rng() % target.config().vocab_size));
  KvCache kv = target.make_cache(T);
  s.features = target.forward_causal(s.tokens, kv, LogitRows::None).hidden;
  for (int64_t i = 0; i < T; ++i) s.loss_mask.push_back(i >= prompt ? 1 : 0);
  return s;
}

inline std::vector<TrainingSequence> tiny_sequences(const Model& target, int n, int64_t T, uint64_t seed) {
  std::vector<TrainingSequence> out;
  for (int i = 0; i < n; ++i) out.push_back(tiny_sequence(target, T - (i % 3), 3, seed + i));
  return out;
}

// Runs `t` up to step `until`; each step's loss.
inline std::vector<double> step_losses(Trainer& t, int64_t until) {
  std::vector<double> out;
  t.run(until, {.on_step = [&](const StepMetrics& m) { out.push_back(m.loss); },
                .on_validation = {},
                .on_checkpoint = {}});
  return out;
}

}  // namespace eaglerun::train::test
