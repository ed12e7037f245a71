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
#include <cstdint>
#include <optional>
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
  virtual StepOutput forward(const Step& step) = 0;
  virtual std::vector<float> keep(std::span<const int32_t> nodes, bool want_features) = 0;
};

// The model in this process, with one KV cache.
class LocalTarget final : public Target {
 public:
  explicit LocalTarget(const Model& model) : model_(model) {}

  const ModelConfig& config() const override { return model_.config(); }
  void begin(int64_t capacity) override;
  StepOutput forward(const Step& step) override;
  std::vector<float> keep(std::span<const int32_t> nodes, bool want_features) override;

 private:
  const Model& model_;
  std::optional<KvCache> kv_;
  int64_t last_step_ = 0;           // tokens of the last forward (0 after keep)
  std::vector<float> last_hidden_;  // [last_step_, H]
};

}  // namespace eaglerun
