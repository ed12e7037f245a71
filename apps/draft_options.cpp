#include "apps/draft_options.h"

#include "core/eagle/auto_tree.h"
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/model_drafter.h"
#include "core/error.h"

namespace eaglerun::cli {
namespace {

constexpr const char* kDefaultHeadDir = "data/heads/smollm2-135m-instruct";

DraftHead load_head(const DraftOptions& o, const ModelConfig& target) {
  if (o.draft == "random") return DraftHead::random(DraftHeadConfig::for_target(target), o.draft_seed, 0.02f);
  return DraftHead::load(o.draft == "default" ? source_path(kDefaultHeadDir) : o.draft);
}

}  // namespace

void add_draft_options(po::options_description& desc, DraftOptions& o) {
  desc.add_options()
      ("draft", po::value(&o.draft),
       "EAGLE draft head: a folder with config.json + model.safetensors, 'default' (the head trained for the "
       "default model, data/heads/smollm2-135m-instruct), or 'random' (untrained, for testing)")
      ("draft-model", po::value(&o.draft_model),
       "classic speculative decoding with a whole draft model of the same vocabulary (.gguf or HF folder), "
       "or 'self' to draft with the target itself")
      ("tree", po::value(&o.tree)->default_value("eagle1"),
       "draft tree: eagle1, chain:K, dynamic:total=N,depth=D,topk=K, auto (sized from this machine's measured "
       "costs and the observed acceptance), or a .json file of paths")
      ("draft-seed", po::value(&o.draft_seed)->default_value(0), "seed of --draft random");
}

DraftSetup make_draft_setup(const DraftOptions& o, const Engine& target, const EngineOptions& engine_options,
                            int64_t context_tokens) {
  require(!(o.draft.empty() == false && o.draft_model.empty() == false), "give at most one of --draft and --draft-model");
  DraftSetup s;
  s.tree = parse_tree_spec(o.tree);
  if (s.tree.kind == TreeSpec::Kind::Auto) {
    s.tree.policy = std::make_shared<AutoTreePolicy>(CostCurve::measure(target.model()), kAutoMaxDepth, kAutoMaxTotal);
  }
  const int64_t capacity = context_tokens + s.tree.max_nodes();
  if (!o.draft.empty()) {
    s.head = std::make_unique<DraftHead>(load_head(o, target.model().config()));
    s.drafter = std::make_unique<EagleDrafter>(target.model(), *s.head, capacity);
  } else if (!o.draft_model.empty()) {
    const Model* draft = &target.model();
    if (o.draft_model != "self") {
      EngineOptions e = engine_options;
      e.model_path = o.draft_model;
      s.draft_engine = std::make_unique<Engine>(e);
      draft = &s.draft_engine->model();
      require(draft->config().vocab_size == target.model().config().vocab_size,
              "--draft-model has a vocabulary of " + std::to_string(draft->config().vocab_size) +
                  " tokens, the target " + std::to_string(target.model().config().vocab_size));
    }
    s.drafter = std::make_unique<ModelDrafter>(*draft, std::min(capacity, draft->config().max_position));
  }
  return s;
}

SpeculativeResult run_request(const Engine& target, DraftSetup* draft, Sampler& sampler, const GenerationRequest& req) {
  if (draft != nullptr && draft->drafter) {
    return generate_speculative(target.model(), *draft->drafter, draft->tree, sampler, req);
  }
  return {generate_plain(target.model(), sampler, req), {}};
}

}  // namespace eaglerun::cli
