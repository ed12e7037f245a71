#pragma once
// One forward step of a target (core/runtime/target.h), and what comes back: a tree of new tokens
// after the cached ones (a plain run is a chain). A distributed target sends it to every rank.
#include <cstdint>
#include <span>
#include <vector>

#include "core/backend/attention_mask.h"
#include "core/model/model.h"

namespace eaglerun {

struct Step {
  std::vector<int32_t> tokens;   // [n]
  std::vector<int32_t> parents;  // [n]: each node's parent among the new tokens (-1: the cache's
                                 // end), parents before children; empty = a causal run
  LogitRows rows = LogitRows::Last;  // rows whose logits the coordinator needs
  bool full_logits = false;          // all V logits of those rows, else only their argmax
  bool want_hidden = false;          // the final-normed hidden state [n, H] too
  int32_t sequence = 0;              // which of the sequences begun together (its own KV cache)

  // A causal run of `tokens` with the last row's logits (all V when full_logits, else its argmax).
  static Step causal(std::span<const int32_t> tokens, bool full_logits, bool want_hidden);

  int64_t size() const { return static_cast<int64_t>(tokens.size()); }
  int64_t logit_rows() const;  // n, 1 or 0
  // positions[i] = past + depth of node i (past + i for a causal run).
  std::vector<int32_t> positions(int64_t past) const;
  // Node i sees every cached token, its ancestors and itself (causal: every earlier token).
  AttentionMask mask(int64_t past) const;
  // Throws Error for parents out of order or out of range.
  void check() const;
};

struct StepOutput {
  std::vector<int32_t> argmax;  // [logit_rows]: the target's greedy token of each row (not full_logits)
  std::vector<float> logits;    // [logit_rows, V] (full_logits)
  std::vector<float> hidden;    // [n, H] (want_hidden)
};

}  // namespace eaglerun
