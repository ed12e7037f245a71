#pragma once
// Every setting of a training run, one comment each; saved with each checkpoint as JSON.
// Defaults follow the official EAGLE-1 recipe (train/main.py) where it has one.
#include <cstdint>
#include <string>

#include "core/eagle/draft_head.h"

namespace eaglerun {

struct TrainerConfig {
  // Optimisation
  double lr = 3e-5;                 // peak learning rate (AdamW)
  int64_t warmup_steps = 2000;      // step s < warmup uses lr * (s + 1) / warmup_steps
  int64_t total_steps = 800000;     // end of the schedule; run() never goes past it
  std::string schedule = "linear";  // after warm-up: "linear" or "cosine" decay to 0 at total_steps, or "constant"
  double beta1 = 0.9;               // AdamW first-moment decay
  double beta2 = 0.95;              // AdamW second-moment decay
  double eps = 1e-8;                // AdamW denominator epsilon
  double weight_decay = 0.0;        // decoupled (AdamW), applied to 2-D weights only (not fc.bias, not the norm)
  double clip_value = 0.5;          // each gradient element clamped to [-clip_value, clip_value]; 0 = off
  double clip_norm = 0.0;           // after that, the global L2 norm scaled down to at most clip_norm; 0 = off

  // Data
  int64_t batch_sequences = 4;      // sequences per optimiser step; the loss is averaged over all their selected positions
  int64_t max_seq_len = 2048;       // longer sequences are cut to their first max_seq_len tokens
  double feature_noise = 0.1;       // a: U(-a, a) added to every input feature value (not to targets)
  int64_t noise_reference_len = 0;  // 0: a as given (the paper); L > 0: a * L / T for a sequence of T tokens (official code: 512)
  double tap_dropout = 0.0;         // heads with tap layers: each input row's taps zeroed with this probability in
                                    // training, so the head also learns the rows decoding feeds it taps-free (its own predictions)
  uint64_t seed = 0;                // data order (a fresh shuffle each epoch) and noise
  DraftInputs inputs = DraftInputs::FeatureAndShiftedToken;  // JSON "inputs": what the head reads (the head's config must agree)

  // Loss
  double feature_loss_weight = 1.0;  // SmoothL1 on features (official v_w)
  double token_loss_weight = 0.1;    // soft cross-entropy on tokens (official p_w)
  int64_t draft_vocab = 0;           // 0: the token loss's softmaxes span the whole vocabulary; N: only the N most
                                     // frequent answer tokens (the trainer's vocabulary order), what `--draft-vocab N`
                                     // drafts from: ~V / N times less LM-head work (EAGLE-3, FR-Spec)
  int64_t rollout_depths = 1;        // 1: the teacher-forced depth 0 only (EAGLE-1); D > 1: EAGLE-3's training-time
                                     // test, depths 1..D-1 also run on the head's own predictions (sequence_loss.h):
                                     // about D times the work per step
  double rollout_decay = 0.8;        // depth d's loss weighted by rollout_decay^d (EAGLE-3's code: 0.8)

  // Checkpoints and validation
  int64_t checkpoint_every = 0;       // run() saves every this many steps (0 = never) ...
  std::string checkpoint_dir;         // ... to checkpoint_dir/step-NNNNNNNN
  int64_t validate_every = 0;         // run() validates every this many steps (0 = never)
  double validation_fraction = 0.05;  // held out from the END of the data when no validation source is given
  int64_t validation_sequences = 32;  // at most this many held-out sequences per validation (0 = all)
  int64_t validation_depths = 5;      // accuracy at depths 0 .. validation_depths - 1

  // Throws Error naming the first bad field.
  void validate() const;
  std::string to_json() const;
  // Missing keys keep their defaults; unknown keys are an error (a typo would be silently ignored).
  static TrainerConfig from_json(const std::string& text, const std::string& source);
};

}  // namespace eaglerun
