#pragma once
// What the speculative loop needs from a draft model: keep a context in step with the target's
// accepted tokens, and score tree nodes. Two implementations: EagleDrafter (the EAGLE-1 head on
// the target's features) and ModelDrafter (a whole small model of the same vocabulary).
//
// The context ("stable" entries) always ends with the current root: the last token the target
// chose. expand() adds tree entries on top; discard_tree() drops them after each step.
#include <cstdint>
#include <span>
#include <vector>

namespace eaglerun {

struct DraftNode {
  int32_t token;   // the draft token at this node
  int32_t parent;  // index of the parent among earlier expand() calls' nodes of this step, -1 = the root
  int32_t depth;   // 1 for children of the root
};

class Drafter {
 public:
  virtual ~Drafter() = default;

  // After the target's prefill: prompt [L], the target's features [L, H] (after its final norm) and
  // the root token it chose. Resets any previous context.
  virtual void begin(std::span<const int32_t> prompt, const float* features, int32_t root) = 0;

  // After a verification step: features [k+1, H] of the accepted nodes (root first) and the tokens
  // that follow each of them [k+1]: the accepted drafts, then the bonus token (the new root).
  virtual void advance(const float* features, std::span<const int32_t> next_tokens) = 0;

  // The draft's logits [V] for the root's children.
  virtual const std::vector<float>& root_logits() const = 0;

  // Scores tree nodes (all ancestors already expanded this step). Returns logits [nodes, V] for
  // the children of each node. Node ids are assigned in call order, starting at 0 each step.
  virtual std::vector<float> expand(std::span<const DraftNode> nodes) = 0;

  // Drops this step's tree entries.
  virtual void discard_tree() = 0;

  virtual int64_t vocab_size() const = 0;

  // The tokens the draft can propose, when a draft vocabulary restricts them (its logits are -inf
  // everywhere else); empty = all vocab_size() tokens. Tree building then scans only these.
  virtual std::span<const int32_t> draft_vocabulary() const { return {}; }

  // The target layers whose taps (core/model/model.h) the drafter reads: begin() and advance() then get
  // feature rows [f, tap_1, .., tap_k] of (k + 1) H values (Target::set_feature_taps). None by default.
  virtual std::vector<int64_t> tap_layers() const { return {}; }
};

}  // namespace eaglerun
