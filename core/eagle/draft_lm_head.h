#pragma once
// The LM head the drafter scores tokens with: the target's own, or the same rows restricted to a
// reduced draft vocabulary (the N most frequent tokens). For a small target the LM head is most of
// the draft's cost (SmolLM2: 49152 x 576, read once per draft level); drafting over 8K tokens cuts
// that 6x. Verification is unchanged, so decoding stays lossless; a token outside the draft
// vocabulary can still be produced as the target's bonus token.
#include <cstdint>
#include <vector>

#include "core/kernels/packed_weights.h"
#include "core/model/model.h"

namespace eaglerun {

class DraftLmHead {
 public:
  // `vocabulary`: the token ids the draft may propose; empty = the whole vocabulary.
  DraftLmHead(const Model& target, std::vector<int32_t> vocabulary);

  // logits[m, V] for hidden[m, H]; tokens outside the draft vocabulary get -infinity.
  void logits(const float* hidden, int64_t m, float* out) const;
  int64_t size() const;  // tokens the draft can propose
  const std::vector<int32_t>& vocabulary() const { return vocabulary_; }  // empty = all

 private:
  const Model& target_;
  std::vector<int32_t> vocabulary_;  // [N] sub-head row -> token id
  std::vector<std::byte> rows_;      // [N, row_bytes] copies of the target LM head's rows
  TensorView head_;                  // view of rows_
  PackedWeights packed_;             // rows_ in the fast kernels' layout
};

// The first n ids of a frequency-ordered token list file (JSON array of ids, most frequent first);
// n = 0: all of them. Throws Error for a missing/malformed file, an id outside [0, vocab), an id
// listed twice or n larger than the list.
std::vector<int32_t> read_draft_vocabulary(const std::string& path, int64_t n, int64_t vocab);

}  // namespace eaglerun
