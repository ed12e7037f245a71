#include "experiments/feature_error_cell.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/kernels/ops.h"

namespace eaglerun {
namespace {

struct Comparison {
  double rel_l2, cosine;
};

Comparison compare(const float* predicted, const float* truth, int64_t H) {
  double diff = 0, norm_p = 0, norm_t = 0, dot = 0;
  for (int64_t i = 0; i < H; ++i) {
    const double p = predicted[i], t = truth[i];
    diff += (p - t) * (p - t);
    norm_p += p * p;
    norm_t += t * t;
    dot += p * t;
  }
  return {std::sqrt(diff / std::max(norm_t, 1e-30)), dot / std::max(std::sqrt(norm_p * norm_t), 1e-30)};
}

}  // namespace

CellRecord run_feature_error_cell(const ExperimentConfig& config, const ExperimentCell& cell, Target& target,
                                  const Engine& engine, EagleDrafter& drafter, const TreeSpec& tree,
                                  const std::function<void(const CellProgress&)>& progress) {
  require(tree.kind == TreeSpec::Kind::Static && tree.shape.max_rank() == 0,
          "feature_error: the tree sets the depth and must be a chain (chain:D), not '" + cell.tree + "'");
  const int64_t D = tree.shape.depth(), H = target.config().hidden_size, V = target.config().vocab_size;
  require(drafter.tap_layers().empty(), "the feature_error kind measures heads without tap layers");
  const std::vector<EvalQuestion> questions = read_eval_set(cell.eval_set, config.prompt_limit);
  const std::vector<int32_t> stops = engine.stop_tokens(false);
  CellProgress p;
  p.requests_total = static_cast<int64_t>(questions.size());
  CellRecord record;
  for (const EvalQuestion& q : questions) {
    RequestRecord r;
    r.id = q.id;
    r.eval_set = cell.eval_set;
    r.prompt = engine.encode_conversation({{"user", q.turns[0]}});
    Sampler greedy({});
    const GenerationResult plain = generate_plain(target, greedy, {r.prompt, config.max_new_tokens, stops, {}});
    r.plain_output = plain.output_tokens;
    r.plain_prefill_seconds = plain.prefill_seconds;
    r.plain_decode_seconds = plain.decode_seconds;
    r.plain_target_forwards = plain.target_forwards;
    // The target's features along prompt + continuation: f_j at every position j.
    std::vector<int32_t> tokens = r.prompt;
    tokens.insert(tokens.end(), r.plain_output.begin(), r.plain_output.end());
    const auto L = static_cast<int64_t>(r.prompt.size()), T = static_cast<int64_t>(tokens.size());
    target.begin(T);
    const std::vector<float> features = target.forward(Step::causal(tokens, false, true)).hidden;  // [T, H]
    const auto request = static_cast<int32_t>(record.requests());
    // Starts s inside the continuation whose rollout, and the token after its deepest prediction, exist.
    for (int64_t s = L; s + D + 1 < T; s += kFeatureErrorStride) {
      drafter.begin(std::span(tokens).first(static_cast<std::size_t>(s)), features.data(), tokens[s]);
      for (int64_t k = 0; k <= D; ++k) {
        if (k > 0) {
          const std::vector<float> own = drafter.root_feature();  // f^_{s+k-1}
          const int32_t next = tokens[s + k];
          drafter.advance(own.data(), std::span(&next, 1));
        }
        const Comparison c = compare(drafter.root_feature().data(), features.data() + (s + k) * H, H);
        const auto top1 = static_cast<int32_t>(argmax(drafter.root_logits().data(), V));
        record.add_feature_error({request, static_cast<int32_t>(s), static_cast<int32_t>(k), c.rel_l2, c.cosine,
                                  static_cast<uint8_t>(top1 == tokens[s + k + 1])});
      }
    }
    record.add_request(std::move(r));
    ++p.requests_done;
    if (progress) progress(p);
  }
  return record;
}

}  // namespace eaglerun
