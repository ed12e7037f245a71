#pragma once
// One sequence through the head: forward, the EAGLE loss on the selected outputs, and backward.
#include <cstdint>
#include <vector>

#include "core/eagle/draft_head.h"
#include "core/train/frozen_lm_head.h"
#include "core/train/head_backprop.h"
#include "core/train/param_layout.h"

namespace eaglerun::train {

// A sequence prepared for the head (see training_data.h for how it is built from data).
template <typename T>
struct HeadExample {
  int64_t m = 0;                  // head rows: input j = 0..m-1 at position j
  std::vector<T> emb;             // [m, H] embedding of the token paired with f_j (empty: unused)
  std::vector<T> features;        // [m, F] input features f_j (noise added) and their taps, F = (k + 1) H (empty: unused)
  std::vector<int64_t> selected;  // [S] rows whose output gets loss, ascending, each < m
  std::vector<T> targets;         // [S, H] the target feature f_{j+1} of each selected row (no noise)
};

struct LossWeights {
  double feature = 1.0;  // SmoothL1 weight (official v_w)
  double token = 0.1;    // soft cross-entropy weight (official p_w)
};

// Sums over the selected positions of one or more sequences.
struct LossSums {
  double feature = 0.0;   // sum of per-position SmoothL1 (each a mean over H)
  double token = 0.0;     // sum of per-position soft cross-entropy (nats)
  double entropy = 0.0;   // sum of the target distribution's entropy H(p): token - entropy = sum KL(p || q)
  int64_t positions = 0;  // selected positions
  LossSums& operator+=(const LossSums& o);
  // The training objective: (w_f * feature + w_t * token) / positions.
  double total(const LossWeights& w) const;
};

// EAGLE-3's training-time test: after the teacher-forced depth 0, depths 1..depths-1 run on the
// head's own predictions (row j reads depth d-1's output at row j - 1 with the same token, and the
// attention of a draft chain, rollout_attention.h), each against the same targets. Earlier depths
// are held constant (no gradient flows back through a prediction). EAGLE-3's code weights depth d's
// loss by 0.8^d.
struct Rollout {
  int64_t depths = 1;  // 1: depth 0 only (EAGLE-1)
  double decay = 0.8;  // depth d's loss weight: decay^d
};

// Runs the example; when grads is not null, ADDS the gradient of
//   sum_d decay^d (w.feature * sum feature_loss_d + w.token * sum token_loss_d) / normalizer
// into *grads. Returns depth 0's sums; by_depth (if not null) gets every depth's (unweighted; a depth
// whose rows all drop out has none). The LM head part runs in chunks of rows (logits of draft and
// target rows in one product), so memory stays at 2 x chunk x V floats.
template <typename T>
LossSums sequence_loss(const DraftHeadConfig& c, const HeadTensors<const T>& w, const FrozenLmHead& lm,
                       const HeadExample<T>& ex, const LossWeights& weights, double normalizer,
                       const HeadTensors<T>* grads, ThreadPool& pool, const Rollout& rollout = {},
                       std::vector<LossSums>* by_depth = nullptr);

// Loss terms of predicted features out[S, H] against targets[S, H]; d_pred (if not null) gets
// the gradient as above. The building block of sequence_loss, also used by validation.
template <typename T>
LossSums prediction_loss(const FrozenLmHead& lm, const T* pred, const T* targets, int64_t s, const LossWeights& weights,
                         double normalizer, T* d_pred, ThreadPool& pool);

}  // namespace eaglerun::train
