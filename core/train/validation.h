#pragma once
// Validation of a draft head on held-out sequences, with the inference code path (DraftHead::forward
// with a KV cache and attention masks) and the trainer's fp32 LM heads. No noise. The draft's loss
// and top-1 use the draft LM head (the draft vocabulary when training uses one, as --draft-vocab
// drafts); the target's top-1 always spans the whole vocabulary.
//
// Loss: the training loss (training_data.h) of the teacher-forced outputs.
// Accuracy at depth d (the paper's "d-alpha": d of the head's inputs are its own predictions):
//   for each start j, depth 0 runs on the real inputs (f_i, t_{i+1}), i <= j, and predicts
//   g_0 = f^_{j+1}; depth d feeds back the head's own previous prediction g_{d-1} paired with the
//   true next token t_{j+d+1} (the drafted token when the tree path is right; t_{j+d} for unshifted
//   inputs), at position j+d, attending to the real prefix 0..j and its own chain; it predicts
//   g_d ~ f_{j+d+1}. With o = j + d the output index, (j, d) is scored when loss_mask[o] == 1 and
//   o + 1 < T, and its top-1 token argmax LMhead(g_d) is compared with
//     the data token t_{o+2} (when o + 2 < T): accuracy_token[d], and
//     the target's own top-1 argmax LMhead(f_{o+1}): accuracy_target[d] (T = 0 acceptance),
//   and depth 0's target matches are also counted by how sure the target was of its top-1.
#include <cstdint>
#include <span>
#include <vector>

#include "core/eagle/draft_head.h"
#include "core/model/model.h"
#include "core/train/frozen_lm_head.h"
#include "core/train/sequence_loss.h"
#include "core/train/trainer_config.h"
#include "core/train/training_data.h"

namespace eaglerun {

struct ValidationResult {
  int64_t sequences = 0;
  train::LossSums loss;                 // teacher-forced, over selected positions
  double total_loss = 0.0;              // (w_f * feature + w_t * token) / positions
  std::vector<int64_t> scored;          // [depths] (start, depth) pairs scored
  std::vector<int64_t> correct_target;  // [depths] top-1 == the target's top-1
  std::vector<int64_t> scored_token;    // [depths] those with a data token t_{o+2}
  std::vector<int64_t> correct_token;   // [depths] top-1 == t_{o+2}

  // Depth 0 by the target's own confidence: bin b holds the positions whose target top-1 probability
  // (softmax over all V of LMhead(f_{o+1})) lies in [b, b + 1) / kConfidenceBins, the last bin closed.
  static constexpr int kConfidenceBins = 5;
  std::vector<int64_t> scored_by_confidence;   // [bins]
  std::vector<int64_t> correct_by_confidence;  // [bins] top-1 == the target's top-1

  std::vector<double> accuracy_target() const;  // correct_target / scored (0 where nothing scored)
  std::vector<double> accuracy_token() const;   // correct_token / scored_token
  std::vector<double> accuracy_by_confidence() const;  // correct_by_confidence / scored_by_confidence
};

// Validates `head` on data[indices] (each cut to config.max_seq_len), depths 0 .. config.validation_depths - 1.
// draft_lm may be target_lm (no draft vocabulary).
ValidationResult validate_head(const DraftHead& head, const train::FrozenLmHead& draft_lm,
                               const train::FrozenLmHead& target_lm, const Model& target, const TrainerConfig& config,
                               const TrainingDataSource& data, std::span<const int64_t> indices, ThreadPool& pool);

}  // namespace eaglerun
