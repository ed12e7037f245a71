#pragma once
// Training data for the draft head: token ids, the target's features and a loss mask per
// sequence, behind an interface the HDF5 pipeline (experiments/) implements.
//
// Positions and loss (as the official EAGLE-1 code: ge_data/ + train/main.py):
//   The head runs on inputs j = 0 .. T-2 (f_j paired with t_{j+1}, or another pairing per
//   DraftInputs). Output j, f^_{j+1}, is compared with the target's feature f_{j+1} (SmoothL1) and,
//   through the frozen LM head, with the target's soft distribution softmax(LMhead(f_{j+1})), which
//   predicts t_{j+2} (cross-entropy).
//   Output j gets loss iff loss_mask[j] == 1 and j + 1 < T: the mask is indexed by the INPUT
//   position (the official collator pairs loss_mask[j] with target f_{j+1} and zeroes the last
//   entry). With a mask of 1 on assistant tokens, output j trains when t_j is an assistant token;
//   its target distribution predicts t_{j+2}.
#include <cstdint>
#include <vector>

namespace eaglerun {

struct TrainingSequence {
  std::vector<int32_t> tokens;     // [T] token ids t_0 .. t_{T-1}
  std::vector<float> features;     // [T, H] the target's top-layer features f_j, after its final norm
  std::vector<uint8_t> loss_mask;  // [T] 1 where output j (from input f_j) gets loss (see above)
  std::vector<float> taps = {};    // [T, k H] the target's tap layers at each position (Model's taps); empty: k = 0
};

class TrainingDataSource {
 public:
  virtual ~TrainingDataSource() = default;
  virtual int64_t size() const = 0;                          // sequences
  virtual int64_t hidden_size() const = 0;                   // H of the features
  virtual TrainingSequence get(int64_t index) const = 0;     // 0 <= index < size()
  // The target layers whose taps every sequence carries (in this order); none by default.
  virtual std::vector<int64_t> tap_layers() const { return {}; }
};

// Sequences held in memory (tests, small experiments).
class InMemoryDataSource final : public TrainingDataSource {
 public:
  InMemoryDataSource(std::vector<TrainingSequence> sequences, int64_t hidden_size, std::vector<int64_t> tap_layers = {});
  int64_t size() const override { return static_cast<int64_t>(sequences_.size()); }
  int64_t hidden_size() const override { return hidden_; }
  TrainingSequence get(int64_t index) const override;
  std::vector<int64_t> tap_layers() const override { return tap_layers_; }

 private:
  std::vector<TrainingSequence> sequences_;
  int64_t hidden_;
  std::vector<int64_t> tap_layers_;
};

// Throws Error when the sizes of a sequence disagree (tokens, features / H, mask, taps / (k H)).
void check_sequence(const TrainingSequence& s, int64_t hidden_size, int64_t n_taps = 0);

// Indices j of the outputs that get loss: loss_mask[j] == 1 and j + 1 < T (T = tokens.size()).
std::vector<int64_t> selected_outputs(const TrainingSequence& s);

}  // namespace eaglerun
