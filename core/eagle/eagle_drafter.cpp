#include "core/eagle/eagle_drafter.h"

#include <numeric>

#include "core/error.h"

namespace eaglerun {

namespace {

// Where the head runs: on the CPU's fast kernels beside a CPU target, on the target's device otherwise.
std::shared_ptr<Backend> head_backend(const Model& target) {
  return target.backend().host_memory() ? host_backend() : target.shared_backend();
}

}  // namespace

EagleDrafter::EagleDrafter(const Model& target, const DraftHead& head, int64_t capacity,
                           std::vector<int32_t> draft_vocabulary)
    : target_(target), head_(head), lm_head_(target, std::move(draft_vocabulary)),
      kv_(head.make_cache(capacity, head_backend(target))) {
  head.config().check_compatible(target.config());
}

std::vector<float> EagleDrafter::run_head(const float* features, std::span<const int32_t> tokens,
                                          std::span<const int32_t> positions, const AttentionMask& mask) {
  const int64_t m = static_cast<int64_t>(tokens.size()), H = target_.config().hidden_size;
  std::vector<float> emb(static_cast<std::size_t>(m * H)), out(static_cast<std::size_t>(m * H));
  if (head_.config().inputs != DraftInputs::FeatureOnly) target_.embed_on_host(tokens, emb.data());
  Backend& b = target_.backend();
  if (b.host_memory()) {
    head_.forward(emb.data(), features, m, positions, mask, kv_, out.data(), target_.pool());
    return out;
  }
  // On the target's device: the head's weights are copied there at their first use, its cache lives
  // there; the inputs go up and the predicted features come back (m rows each).
  const int64_t F = head_.config().feature_width();
  const DeviceBuffer d_emb = allocate_floats(b, m * H), d_features = allocate_floats(b, m * F),
                     d_out = allocate_floats(b, m * H);
  b.upload(d_emb.data(), emb.data(), d_emb.bytes());
  if (features != nullptr) b.upload(d_features.data(), features, d_features.bytes());
  head_.forward(d_emb.as<float>(), features != nullptr ? d_features.as<float>() : nullptr, m, positions, mask, kv_,
                d_out.as<float>(), b);
  b.download(out.data(), d_out.data(), d_out.bytes());
  return out;
}

void EagleDrafter::commit(const float* features, std::span<const int32_t> tokens) {
  discard_tree();
  const auto m = static_cast<int64_t>(tokens.size());
  const int64_t H = target_.config().hidden_size, past = kv_.size();
  std::vector<int32_t> positions(static_cast<std::size_t>(m));
  std::iota(positions.begin(), positions.end(), static_cast<int32_t>(past));
  std::vector<int32_t> paired(tokens.begin(), tokens.end());
  if (unshifted_tokens(head_.config().inputs)) {  // (f_j, t_j): the previous root, then all but the new root
    paired.insert(paired.begin(), root_);
    paired.pop_back();
  }
  root_ = tokens.back();
  const std::vector<float> out = run_head(features, paired, positions, AttentionMask::causal(past, m));
  root_feature_.assign(out.end() - H, out.end());
  root_logits_.resize(static_cast<std::size_t>(target_.config().vocab_size));
  lm_head_.logits(root_feature_.data(), 1, root_logits_.data());
  rows_.reset(kv_.size());
}

void EagleDrafter::begin(std::span<const int32_t> prompt, const float* features, int32_t root) {
  kv_.truncate(0);
  rows_.reset(0);
  std::vector<int32_t> next(prompt.begin() + 1, prompt.end());  // t_{j+1} for each f_j
  next.push_back(root);
  root_ = prompt.empty() ? root : prompt[0];  // what an unshifted head pairs with f_0
  commit(features, next);
}

void EagleDrafter::advance(const float* features, std::span<const int32_t> next_tokens) {
  commit(features, next_tokens);
}

std::vector<float> EagleDrafter::expand(std::span<const DraftNode> nodes) {
  const int64_t H = target_.config().hidden_size, V = target_.config().vocab_size, F = head_.config().feature_width();
  const auto m = static_cast<int64_t>(nodes.size());
  std::vector<float> parent_features(static_cast<std::size_t>(m * F), 0.f);  // predicted features carry no taps
  std::vector<int32_t> tokens;
  const bool unshifted = unshifted_tokens(head_.config().inputs);
  for (int64_t i = 0; i < m; ++i) {
    const int32_t parent = nodes[i].parent;
    const float* f = parent < 0 ? root_feature_.data() : node_features_.data() + parent * H;
    std::copy_n(f, H, parent_features.begin() + i * F);
    tokens.push_back(unshifted ? (parent < 0 ? root_ : node_tokens_[parent]) : nodes[i].token);
  }
  std::vector<int32_t> positions;
  const AttentionMask mask = rows_.add(nodes, positions);
  const std::vector<float> out = run_head(parent_features.data(), tokens, positions, mask);
  node_features_.insert(node_features_.end(), out.begin(), out.end());
  for (const DraftNode& n : nodes) node_tokens_.push_back(n.token);
  std::vector<float> logits(static_cast<std::size_t>(m * V));
  lm_head_.logits(out.data(), m, logits.data());
  return logits;
}

void EagleDrafter::discard_tree() {
  kv_.truncate(rows_.stable());
  rows_.reset(rows_.stable());
  node_features_.clear();
  node_tokens_.clear();
}

}  // namespace eaglerun
