#include "core/eagle/speculative.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/eagle/auto_tree.h"
#include "core/eagle/context_lookup.h"
#include "core/eagle/tree_builder.h"
#include "core/eagle/verifier.h"

namespace eaglerun {

double SpeculativeStats::tau() const {
  if (accepted_per_step.empty()) return 0.0;
  double sum = 0;
  for (int64_t a : accepted_per_step) sum += static_cast<double>(a + 1);
  return sum / static_cast<double>(accepted_per_step.size());
}

std::vector<double> SpeculativeStats::accepted_by_depth() const {
  std::vector<double> alpha;
  for (std::size_t d = 0; d < depth_tries.size(); ++d) {
    alpha.push_back(depth_tries[d] > 0 ? static_cast<double>(depth_accepts[d]) / depth_tries[d] : 0.0);
  }
  return alpha;
}

void SpeculativeStats::record(int64_t accepted, int64_t tree_depth) {
  accepted_per_step.push_back(accepted);
  if (static_cast<int64_t>(depth_tries.size()) < tree_depth) {
    depth_tries.resize(static_cast<std::size_t>(tree_depth), 0);
    depth_accepts.resize(static_cast<std::size_t>(tree_depth), 0);
  }
  // Depth d+1 was tried when the first d drafts were accepted and the tree reaches that deep.
  for (int64_t d = 0; d < tree_depth && d <= accepted; ++d) {
    ++depth_tries[d];
    if (d < accepted) ++depth_accepts[d];
  }
}

void SpeculativeStats::merge(const SpeculativeStats& o) {
  steps += o.steps;
  tree_tokens += o.tree_tokens;
  accepted_per_step.insert(accepted_per_step.end(), o.accepted_per_step.begin(), o.accepted_per_step.end());
  if (depth_tries.size() < o.depth_tries.size()) {
    depth_tries.resize(o.depth_tries.size(), 0);
    depth_accepts.resize(o.depth_tries.size(), 0);
  }
  for (std::size_t d = 0; d < o.depth_tries.size(); ++d) {
    depth_tries[d] += o.depth_tries[d];
    depth_accepts[d] += o.depth_accepts[d];
  }
  lookup_verified += o.lookup_verified;
  lookup_accepted += o.lookup_accepted;
  draft_seconds += o.draft_seconds;
  verify_seconds += o.verify_seconds;
}

namespace {

// `copied`: tokens a copy from the context will add to the tree (auto sizes the drafted part for them).
DraftTree build_tree(Drafter& drafter, const TreeSpec& spec, int32_t root, Sampler& sampler, int64_t copied,
                     SampledKeepRule keep) {
  if (spec.kind == TreeSpec::Kind::Auto) {
    require(spec.policy != nullptr, "--tree auto needs its policy (the measured cost curve)");
    if (const int32_t chain = spec.policy->choose_chain(); chain > 0) {
      return build_static_tree(drafter, spec.policy->chain_shape(chain), root, sampler);
    }
    const auto start = std::chrono::steady_clock::now();
    const DraftTree drafted = build_dynamic_tree(drafter, spec.policy->draft_shape(), root, sampler, keep);
    return spec.policy->choose(drafted, seconds_since(start), copied);
  }
  if (spec.kind == TreeSpec::Kind::Dynamic) return build_dynamic_tree(drafter, spec.dynamic, root, sampler, keep);
  return build_static_tree(drafter, spec.shape, root, sampler);
}

// The copies from the context of tree+lookup:K (nothing without +lookup): the context grows with
// every emitted token; each step copies what LookupLength finds worth verifying.
class ContextCopies {
 public:
  ContextCopies(const TreeSpec& spec, std::span<const int32_t> prompt, const std::vector<int32_t>& emitted)
      : spec_(spec), prompt_size_(prompt.size()) {
    if (spec_.lookup == 0) return;
    context_.reset(prompt);
    this->emitted(emitted);
  }
  // This step's copy (empty without +lookup or a match).
  std::vector<int32_t> draft() {
    if (spec_.lookup == 0) return {};
    match_ = context_.find(spec_.lookup);
    const auto available = static_cast<int32_t>(match_.continuation.size());
    match_.continuation.resize(static_cast<std::size_t>(spec_.lookup_length->choose(match_.length, available)));
    return match_.continuation;
  }
  // After verifying `tree` (the draft's tree with the copy): teaches LookupLength, counts the copy in
  // `stats`, and returns the accepted tokens only the copy proposed.
  int64_t verified(const DraftTree& tree, const Acceptance& acc, SpeculativeStats& stats) {
    if (spec_.lookup == 0) return 0;
    const auto& copy = match_.continuation;
    spec_.lookup_length->observe(match_.length, static_cast<int32_t>(copy.size()), tree.accepted_along(copy, acc.path));
    const auto copied_only = std::count_if(acc.path.begin() + 1, acc.path.end(), [&](int32_t u) { return tree.from_lookup[u]; });
    stats.lookup_verified += static_cast<int64_t>(copy.size());
    stats.lookup_accepted += copied_only;
    return copied_only;
  }
  // The step's costs, which set how likely a copied token must be to pay for its tree row.
  void step_done(int64_t nodes, double verify_seconds, int64_t tokens, double step_seconds) {
    if (spec_.lookup > 0) spec_.lookup_length->observe_step(nodes, verify_seconds, tokens, step_seconds);
  }
  // Every output token so far (those not yet in the context join it).
  void emitted(const std::vector<int32_t>& output) {
    if (spec_.lookup == 0) return;
    for (auto i = static_cast<std::size_t>(context_.size()) - prompt_size_; i < output.size(); ++i) context_.append(output[i]);
  }

 private:
  const TreeSpec& spec_;
  std::size_t prompt_size_;
  ContextLookup context_;
  ContextLookup::Match match_;
};

}  // namespace

SpeculativeResult generate_speculative(Target& target, Drafter& drafter, const TreeSpec& spec, Sampler& sampler,
                                       const GenerationRequest& req, const SpeculativeOptions& options) {
  check_request(req, spec.max_depth(), target.config().max_position);
  const bool greedy = sampler.params().greedy();
  const int64_t V = target.config().vocab_size;
  target.set_feature_taps(drafter.tap_layers());
  target.begin(static_cast<int64_t>(req.prompt.size()) + req.max_new_tokens + spec.max_nodes());
  SpeculativeResult res;
  GenerationResult& gen = res.generation;
  Emitter emit{req, gen};

  auto start = std::chrono::steady_clock::now();
  StepOutput out = target.forward(Step::causal(req.prompt, !greedy, true));
  emit(choose(out, sampler));
  gen.prefill_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  if (!emit.done) drafter.begin(req.prompt, out.hidden.data(), gen.output_tokens.back());

  double advance_seconds = 0;  // the drafter's advance after the previous step
  ContextCopies copies(spec, req.prompt, gen.output_tokens);
  while (!emit.done) {
    // Draft: a tree rooted at the last token, and a copy from the context as one more branch.
    const auto step_start = std::chrono::steady_clock::now();
    const std::vector<int32_t> copy = copies.draft();
    DraftTree tree = build_tree(drafter, spec, gen.output_tokens.back(), sampler, static_cast<int64_t>(copy.size()),
                                options.sampled_keep);
    if (!copy.empty()) tree = tree.with_path(copy);
    drafter.discard_tree();
    const double draft_seconds = advance_seconds + seconds_since(step_start);

    // Verify: one target forward over every node; accept; keep the accepted rows.
    auto t0 = std::chrono::steady_clock::now();
    out = target.forward(tree.verification_step(!greedy));
    ++gen.target_forwards;
    const Acceptance acc = greedy ? verify_greedy_argmax(tree, out.argmax)
                                  : verify_sampling(tree, out.logits.data(), V, sampler, options.accept_rule);
    const std::vector<float> features = target.keep(acc.path, true);  // [path, H]
    const double verify_seconds = seconds_since(t0);
    res.stats.draft_seconds += draft_seconds;
    res.stats.verify_seconds += verify_seconds;
    ++res.stats.steps;
    res.stats.tree_tokens += tree.size();
    res.stats.record(acc.accepted_drafts(), tree.max_depth());
    const int64_t copied_only = copies.verified(tree, acc, res.stats);
    // The cost model predicts what a dynamic tree's drafted nodes yield, not a chain's or the copy's.
    if (spec.policy && spec.policy->chain() == 0) spec.policy->observe(tree, acc.accepted_drafts() - copied_only);
    if (options.on_step) options.on_step({tree, acc, draft_seconds, verify_seconds});

    // Commit: emit the accepted drafts and the bonus token; the drafter reads their features.
    std::vector<int32_t> next_tokens;  // the tokens that follow each accepted node
    for (std::size_t i = 0; i < acc.path.size(); ++i) {
      next_tokens.push_back(i + 1 < acc.path.size() ? tree.tokens[acc.path[i + 1]] : acc.bonus_token);
    }
    for (int32_t t : next_tokens) emit(t);
    copies.emitted(gen.output_tokens);
    advance_seconds = 0;
    if (!emit.done) {
      t0 = std::chrono::steady_clock::now();  // the head reads the accepted features: drafting work
      drafter.advance(features.data(), next_tokens);
      advance_seconds = seconds_since(t0);
      if (spec.policy) spec.policy->observe_advance(advance_seconds);
    }
    const double step_seconds = seconds_since(step_start);
    if (spec.policy) spec.policy->observe_step(static_cast<int64_t>(next_tokens.size()), step_seconds);
    copies.step_done(tree.size(), verify_seconds, static_cast<int64_t>(next_tokens.size()), step_seconds);
  }
  gen.decode_seconds = seconds_since(start);
  return res;
}

SpeculativeResult generate_speculative(const Model& model, Drafter& drafter, const TreeSpec& spec, Sampler& sampler,
                                       const GenerationRequest& req, const SpeculativeOptions& options) {
  LocalTarget target(model);
  return generate_speculative(target, drafter, spec, sampler, req, options);
}

}  // namespace eaglerun
