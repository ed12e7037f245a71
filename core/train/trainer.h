#pragma once
// Trains an EAGLE-1 draft head on the target's features (training_data.h for positions and the
// loss mask, example_builder.h for noise and pairing, sequence_loss.h for the loss, adamw.h for
// the optimiser, validation.h for held-out metrics, checkpoint.h for exact resume).
//
// One step: the next batch_sequences sequences of the data order (a fresh seeded shuffle of the
// training split each epoch), each run forward and backward in fp32; gradients summed and the loss
// averaged over all selected positions of the batch; clip; AdamW. A batch with no selected
// position counts as a step but changes nothing. Every computation has a fixed order, so a run is
// bit-identical for any thread count, and resuming from a checkpoint reproduces it exactly.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/eagle/draft_head.h"
#include "core/model/model.h"
#include "core/train/adamw.h"
#include "core/train/example_builder.h"
#include "core/train/frozen_lm_head.h"
#include "core/train/param_layout.h"
#include "core/train/trainer_config.h"
#include "core/train/training_data.h"
#include "core/train/validation.h"

namespace eaglerun {

struct StepMetrics {
  int64_t step = 0;             // steps done, this one included
  int64_t epoch = 0;            // epoch of the batch's first sequence (0-based)
  double loss = 0.0;            // (w_f * feature + w_t * token) over the batch's selected positions
  double feature_loss = 0.0;    // mean SmoothL1 per position
  double token_loss = 0.0;      // mean soft cross-entropy per position (nats)
  double token_kl = 0.0;        // mean KL(p || q) = token_loss - mean entropy of the target's p
  std::vector<double> depth_loss;  // [rollout_depths > 1] each depth's (w_f * feature + w_t * token) per position
                                   // (depth 0's is `loss`; the decay not applied)
  int64_t positions = 0;        // selected positions in the batch
  int64_t head_rows = 0;        // rows the head ran (tokens processed)
  double lr = 0.0;              // learning rate used
  double grad_norm = 0.0;       // global L2 norm before clipping
  int64_t clipped = 0;          // gradient elements clamped by clip_value
  double seconds = 0.0;         // wall time of the step
};

struct TrainerCallbacks {
  std::function<void(const StepMetrics&)> on_step;
  std::function<void(int64_t step, const ValidationResult&)> on_validation;
  std::function<void(int64_t step, const std::string& dir)> on_checkpoint;
};

class Trainer {
 public:
  // head: the starting weights; its config must be compatible with the target and have
  // config.inputs. validation: held-out data; null = the last validation_fraction of data.
  // vocabulary: token ids, most frequent first; with config.draft_vocab = N > 0 the token loss spans
  // its first N (it must list at least N). The sources, target and pool must outlive the trainer.
  Trainer(const TrainerConfig& config, DraftHead head, const Model& target, const TrainingDataSource& data,
          ThreadPool& pool, const TrainingDataSource* validation = nullptr,
          const std::vector<int32_t>& vocabulary = {});
  // Continues the run saved in dir; data (and validation) must be the sources it was trained on.
  static Trainer resume(const std::string& dir, const Model& target, const TrainingDataSource& data, ThreadPool& pool,
                        const TrainingDataSource* validation = nullptr);

  // A fresh head for the target with torch.nn.Linear's default init (U(-1/sqrt(fan_in), +) for
  // weights and fc.bias, as the official code leaves it), norm weights 1.
  static DraftHead initial_head(const Model& target, DraftInputs inputs, uint64_t seed, bool bias = true);

  StepMetrics step();
  // Steps until step() == min(until_step, total_steps), validating and checkpointing on schedule.
  void run(int64_t until_step, const TrainerCallbacks& callbacks = {});
  ValidationResult validate();
  void save_checkpoint(const std::string& dir);

  int64_t steps_done() const { return optimizer_.step; }
  const TrainerConfig& config() const { return config_; }
  const DraftHead& head();  // the current weights
  const std::vector<int64_t>& train_indices() const { return train_indices_; }
  const std::vector<int64_t>& validation_indices() const { return validation_indices_; }
  const std::vector<int32_t>& draft_tokens() const { return draft_tokens_; }  // [draft_vocab]; empty: all

 private:
  int64_t sample_index(int64_t position);  // data index of stream position (epoch order)

  TrainerConfig config_;
  DraftHead head_;  // synced from params_ by head()
  train::ParamLayout layout_;
  std::vector<float> params_;  // [P] flat
  std::vector<float> grads_;   // [P]
  train::OptimizerState optimizer_;
  int64_t samples_consumed_ = 0;
  const Model* target_;
  const TrainingDataSource* data_;
  const TrainingDataSource* validation_data_;
  train::TapSelection taps_;  // the head's tap layers among the training data's
  ThreadPool* pool_;
  std::shared_ptr<const train::FrozenLmHead> lm_;        // the whole vocabulary (the target's top-1)
  std::shared_ptr<const train::FrozenLmHead> draft_lm_;  // the token loss's rows: lm_ or the draft vocabulary
  std::vector<int32_t> draft_tokens_;
  std::vector<int64_t> train_indices_;
  std::vector<int64_t> validation_indices_;  // into *validation_data_
  int64_t order_epoch_ = -1;
  std::vector<int64_t> order_;  // permutation of train_indices_ positions for order_epoch_
};

}  // namespace eaglerun
