#include "core/eagle/context_lookup.h"

#include <algorithm>

#include "core/error.h"

namespace eaglerun {
namespace {

// Hashes of the runs ending at tokens[end] of lengths 1..count: out[L - 1] covers [end - L + 1, end].
std::array<uint64_t, ContextLookup::kMaxMatch> suffix_hashes(const std::vector<int32_t>& tokens, int64_t end,
                                                             int32_t count) {
  std::array<uint64_t, ContextLookup::kMaxMatch> h{};
  uint64_t acc = 0x9e3779b97f4a7c15ull;
  for (int32_t L = 1; L <= count; ++L) {
    acc = (acc ^ static_cast<uint32_t>(tokens[static_cast<std::size_t>(end - L + 1)])) * 0x100000001b3ull;
    acc ^= acc >> 29;
    h[static_cast<std::size_t>(L - 1)] = acc;
  }
  return h;
}

}  // namespace

void ContextLookup::reset(std::span<const int32_t> context) {
  for (auto& m : latest_end_) m.clear();
  tokens_.clear();
  for (int32_t t : context) append(t);
}

void ContextLookup::append(int32_t token) {
  // The runs that end at the current last token now have a token after them.
  const int64_t end = size() - 1;
  if (end >= 0) {
    const auto count = static_cast<int32_t>(std::min<int64_t>(kMaxMatch, end + 1));
    const auto h = suffix_hashes(tokens_, end, count);
    for (int32_t L = 1; L <= count; ++L) latest_end_[L - 1][h[L - 1]] = static_cast<int32_t>(end);
  }
  tokens_.push_back(token);
}

ContextLookup::Match ContextLookup::find(int32_t max_tokens) const {
  Match m;
  const int64_t end = size() - 1;
  if (end < 1 || max_tokens <= 0) return m;
  const auto count = static_cast<int32_t>(std::min<int64_t>(kMaxMatch, end));
  const auto h = suffix_hashes(tokens_, end, count);
  for (int32_t L = count; L >= 1; --L) {
    const auto it = latest_end_[L - 1].find(h[L - 1]);
    if (it == latest_end_[L - 1].end()) continue;
    const int64_t at = it->second;
    // A hash collision is not a match.
    if (!std::equal(tokens_.begin() + (at - L + 1), tokens_.begin() + at + 1, tokens_.begin() + (end - L + 1))) continue;
    m.length = L;
    const int64_t stop = std::min<int64_t>(size(), at + 1 + max_tokens);
    m.continuation.assign(tokens_.begin() + at + 1, tokens_.begin() + stop);
    return m;
  }
  return m;
}

LookupLength::LookupLength(int32_t max_tokens, bool cost_aware)
    : max_tokens_(max_tokens),
      cost_aware_(cost_aware),
      rates_(ContextLookup::kMaxMatch, std::vector<Rate>(static_cast<std::size_t>(std::max(max_tokens, 0)))) {
  require(max_tokens > 0, "lookup: at least one copied token per step");
}

int32_t LookupLength::choose(int32_t match_length, int32_t available) const {
  if (match_length <= 0) return 0;
  const auto& rates = rates_[static_cast<std::size_t>(std::min(match_length, ContextLookup::kMaxMatch) - 1)];
  const int32_t limit = std::min(available, max_tokens_);
  const double needed = min_chance();
  double chance = 1.0;
  int32_t k = 0;
  while (k < limit) {
    chance *= rates[static_cast<std::size_t>(k)].value();
    if (chance < needed) break;
    ++k;
  }
  return k;
}

void LookupLength::observe_step(int64_t nodes, double verify_seconds, int64_t tokens, double step_seconds) {
  constexpr double kDecay = 0.995;  // about the last 200 steps
  const auto n = static_cast<double>(nodes);
  w_ = kDecay * w_ + 1;
  n_ = kDecay * n_ + n;
  t_ = kDecay * t_ + verify_seconds;
  nn_ = kDecay * nn_ + n * n;
  nt_ = kDecay * nt_ + n * verify_seconds;
  tokens_ = kDecay * tokens_ + static_cast<double>(tokens);
  seconds_ = kDecay * seconds_ + step_seconds;
  ++steps_;
}

double LookupLength::min_chance() const {
  const double spread = w_ * nn_ - n_ * n_;  // w^2 times the variance of the tree sizes
  if (!cost_aware_ || steps_ < kMinSteps || spread <= 1e-9 * w_ * w_ || tokens_ <= 0) return kMinChance;
  const double per_row = (w_ * nt_ - n_ * t_) / spread, per_token = seconds_ / tokens_;
  return std::clamp(per_row / per_token, 0.02, 0.9);
}

void LookupLength::observe(int32_t match_length, int32_t verified, int32_t accepted) {
  if (match_length <= 0) return;
  auto& rates = rates_[static_cast<std::size_t>(std::min(match_length, ContextLookup::kMaxMatch) - 1)];
  for (int32_t k = 0; k < std::min(verified, max_tokens_) && k <= accepted; ++k) {
    rates[static_cast<std::size_t>(k)].tries += 1;
    if (k < accepted) rates[static_cast<std::size_t>(k)].accepts += 1;
  }
}

}  // namespace eaglerun
