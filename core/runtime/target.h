#pragma once
// What the decoding loops (generate_plain, generate_speculative) need from the target model, so
// that one loop of each serves every placement: LocalTarget (the model in this process) and
// DistributedTarget (parallel/: the model spread over MPI ranks, the same calls broadcast).
//
//   begin(capacity)        a new sequence; its KV cache holds at most `capacity` tokens
//   forward(step)          a tree (or chain) of new tokens after the cached ones -> the argmax of
//                          each requested logits row, the full rows when step.full_logits, the
//                          hidden states [n, H] when step.want_hidden
//   keep(nodes, features)  keeps the cached prefix plus those nodes of the last step (node 0
//                          first, increasing) and drops the rest; returns their hidden states
//                          [k, H] (the drafter's features) when asked
//   set_feature_taps(l)    from now on every hidden-state row (forward's and keep's) is followed by
//                          the model's taps of layers l: [n, (k + 1) H], for a drafter that reads them
// Several independent sequences (generate_plain_batch):
//   begin_batch(capacity, B)  B sequences, each its own KV cache of `capacity` tokens; a step
//                             names its sequence (Step::sequence); keep() is sequence 0's
//   forward_batch(steps)      one step of each of several different sequences -> their outputs,
//                             each what forward() gives for that step alone. LocalTarget runs them
//                             in ONE model pass (rows of every sequence share each matmul);
//                             DistributedTarget launches them all before collecting any, so
//                             pipeline stages work on different sequences at once.
#include <cstdint>
#include <span>
#include <vector>

#include "core/model/model.h"
#include "core/runtime/step.h"

namespace eaglerun {

class Target {
 public:
  virtual ~Target() = default;
  virtual const ModelConfig& config() const = 0;
  virtual void begin(int64_t capacity) = 0;
  // Throws Error when sequences < 1 or capacity exceeds the model's context.
  virtual void begin_batch(int64_t capacity, int32_t sequences) = 0;
  virtual StepOutput forward(const Step& step) = 0;
  // Throws Error for an empty list, a sequence not begun or named twice, or a step the cache cannot hold.
  virtual std::vector<StepOutput> forward_batch(std::span<const Step> steps) = 0;
  virtual std::vector<float> keep(std::span<const int32_t> nodes, bool want_features) = 0;
  // Throws Error for a layer outside the model, or where the target cannot provide taps.
  virtual void set_feature_taps(std::vector<int64_t> layers) = 0;
};

// The model in this process, with one KV cache per sequence.
class LocalTarget final : public Target {
 public:
  explicit LocalTarget(const Model& model) : model_(model) {}

  const ModelConfig& config() const override { return model_.config(); }
  void begin(int64_t capacity) override { begin_batch(capacity, 1); }
  void begin_batch(int64_t capacity, int32_t sequences) override;
  StepOutput forward(const Step& step) override;
  std::vector<StepOutput> forward_batch(std::span<const Step> steps) override;
  std::vector<float> keep(std::span<const int32_t> nodes, bool want_features) override;
  void set_feature_taps(std::vector<int64_t> layers) override;
  // Empties one sequence's cache from row `keep_rows` on, so its slot of the batch starts a new
  // sequence (continuous batching) that shares those first rows' tokens with the old one.
  void restart(int32_t sequence, int64_t keep_rows = 0);

 private:
  struct Sequence {
    KvCache kv;
    int64_t last_step = 0;           // tokens of its last forward (0 after keep)
    std::vector<float> last_hidden;  // [last_step, F]: hidden states, each followed by its taps
  };
  Sequence& sequence(int32_t index);

  const Model& model_;
  std::vector<Sequence> sequences_;
  std::vector<int64_t> taps_;  // set_feature_taps
};

}  // namespace eaglerun
