#include "tests/support/oracle_drafter.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace eaglerun::test {
namespace {

// Logit levels: the right token and the ranks above it, the ranks below it, everything else.
constexpr float kHigh = 10.f, kLow = 4.f, kFloor = -20.f;
// Rank i sits kRankStep below rank i-1 within its level, so top-k returns the planned order.
constexpr float kRankStep = 0.01f;

// Every rank sequence with ranks < width and length <= depth, grouped by length.
std::vector<std::vector<std::vector<int32_t>>> all_paths(int32_t depth, int32_t width) {
  std::vector<std::vector<std::vector<int32_t>>> by_length(static_cast<std::size_t>(depth) + 1);
  by_length[0].push_back({});
  for (int32_t a = 1; a <= depth; ++a) {
    for (const auto& p : by_length[a - 1]) {
      for (int32_t r = 0; r < width; ++r) {
        by_length[a].push_back(p);
        by_length[a].back().push_back(r);
      }
    }
  }
  return by_length;
}

}  // namespace

OracleSchedule OracleSchedule::for_tree(const TreeSpec& spec, uint64_t seed, int32_t max_rank) {
  OracleSchedule s;
  s.rng_.seed(seed);
  if (spec.kind == TreeSpec::Kind::Static) {
    s.by_length_.resize(static_cast<std::size_t>(spec.shape.depth()) + 1);
    s.by_length_[0].push_back({});
    for (const TreePath& p : spec.shape.paths) s.by_length_[p.size()].emplace_back(p.begin(), p.end());
    s.width_ = spec.shape.max_rank() + 1;
    return s;
  }
  const int32_t depth = spec.kind == TreeSpec::Kind::Dynamic ? spec.dynamic.depth : kAutoMaxDepth;
  const int32_t topk = spec.kind == TreeSpec::Kind::Dynamic ? spec.dynamic.topk : 8;
  s.width_ = std::min(topk, max_rank + 1);
  s.by_length_ = all_paths(depth, s.width_);
  return s;
}

std::vector<int32_t> OracleSchedule::next() {
  if (round_.empty()) {
    for (std::size_t a = 0; a < by_length_.size(); ++a) round_.push_back(a);
    std::shuffle(round_.begin(), round_.end(), rng_);
  }
  const std::size_t a = round_.back();
  round_.pop_back();
  const auto& paths = by_length_[a];
  return paths[rng_() % paths.size()];
}

OracleDrafter::OracleDrafter(std::vector<int32_t> continuation, int64_t vocab, OracleSchedule schedule, uint64_t seed)
    : continuation_(std::move(continuation)), vocab_(vocab), schedule_(std::move(schedule)), seed_(seed) {
  require(!continuation_.empty(), "the oracle drafter needs the plain continuation");
}

void OracleDrafter::begin(std::span<const int32_t>, const float*, int32_t root) {
  root_index_ = 0;
  require(root == continuation_[0], "the oracle drafter's continuation does not start with the prefill's token");
  plan_step();
}

void OracleDrafter::advance(const float*, std::span<const int32_t> next_tokens) {
  // A lossy loop may leave the continuation; the oracle then keeps counting positions, and the
  // test's token comparison reports the difference.
  root_index_ += static_cast<int64_t>(next_tokens.size());
  plan_step();
}

void OracleDrafter::plan_step() {
  plan_ = schedule_.next();
  ++planned_steps_;
  on_path_depth_.clear();
  root_logits_ = child_logits(true, 0, 0);
}

int32_t OracleDrafter::right_token(int32_t ahead) const {
  const int64_t i = root_index_ + ahead;
  return i < static_cast<int64_t>(continuation_.size()) ? continuation_[i] : -1;
}

std::vector<float> OracleDrafter::expand(std::span<const DraftNode> nodes) {
  std::vector<float> logits;
  logits.reserve(nodes.size() * static_cast<std::size_t>(vocab_));
  for (const DraftNode& n : nodes) {
    const bool parent_on_path = n.parent < 0 || on_path_depth_.at(n.parent) >= 0;
    const bool on_path = parent_on_path && n.depth <= static_cast<int32_t>(plan_.size()) &&
                         n.token == right_token(n.depth);
    on_path_depth_.push_back(on_path ? n.depth : -1);
    const uint64_t key = (static_cast<uint64_t>(on_path_depth_.size()) << 8) ^ static_cast<uint64_t>(n.token);
    const std::vector<float> row = child_logits(on_path, n.depth, key);
    logits.insert(logits.end(), row.begin(), row.end());
  }
  return logits;
}

std::vector<float> OracleDrafter::child_logits(bool on_path, int32_t depth, uint64_t node_key) {
  std::mt19937_64 rng(seed_ ^ (static_cast<uint64_t>(planned_steps_) * 0x9E3779B97F4A7C15ull) ^
                      (node_key * 0xBF58476D1CE4E5B9ull));
  const int32_t width = schedule_.width();
  // The right child, when this node is on the path and the plan goes deeper.
  const bool hit = on_path && depth < static_cast<int32_t>(plan_.size());
  const int32_t right = on_path ? right_token(depth + 1) : -1;
  const int32_t right_rank = hit && right >= 0 ? plan_[depth] : -1;
  // Wrong candidates: continuation tokens from other positions or random ones, distinct, never the right one.
  std::vector<int32_t> cands;
  while (static_cast<int32_t>(cands.size()) < width) {
    const bool from_text = rng() % 2 == 0;
    const int32_t t = from_text ? continuation_[rng() % continuation_.size()] : static_cast<int32_t>(rng() % vocab_);
    if (t == right || std::find(cands.begin(), cands.end(), t) != cands.end()) continue;
    cands.push_back(t);
  }
  if (right_rank >= 0) cands[right_rank] = right;

  std::vector<float> logits(static_cast<std::size_t>(vocab_));
  if (!on_path) {  // nearly flat: the candidates lead by less than 1e-3
    for (float& v : logits) v = 0.f;
    for (int32_t i = 0; i < width; ++i) logits[cands[i]] = 1e-3f - kRankStep * 1e-2f * static_cast<float>(i);
    return logits;
  }
  for (float& v : logits) v = kFloor;
  const int32_t top_level = std::max(right_rank, 0);  // ranks 0..top_level share the high level
  for (int32_t i = 0; i < width; ++i) {
    logits[cands[i]] = (i <= top_level ? kHigh : kLow) - kRankStep * static_cast<float>(i);
  }
  return logits;
}

}  // namespace eaglerun::test
