#pragma once
// What the speculative loop really accepted, counted from the trees it verified (attach
// observer() to SpeculativeOptions::on_step): a lossless test asserts that these counts cover
// what it means to exercise, so that it cannot silently stop accepting anything.
#include <cstdint>
#include <string>
#include <vector>

#include "core/eagle/speculative.h"

namespace eaglerun::test {

struct AcceptanceCounts {
  std::vector<int64_t> by_length;  // [a]: steps that accepted exactly a drafts
  int64_t steps = 0;
  int64_t non_first = 0;       // steps whose accepted path goes through a sibling of rank >= 1
  int64_t deep_non_first = 0;  // ... and accepted 2 or more drafts

  void add(const DraftTree& tree, const Acceptance& acceptance);
  std::function<void(const StepRecord&)> observer() {
    return [this](const StepRecord& s) { add(s.tree, s.acceptance); };
  }
  int64_t accepted(std::size_t length) const { return length < by_length.size() ? by_length[length] : 0; }
  // "steps 312: accepted 0:51 1:60 ... non-first 140 (deep 90)".
  std::string summary() const;
};

}  // namespace eaglerun::test
