#include "apps/draft_options.h"

#include "core/eagle/auto_tree.h"
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/model_drafter.h"
#include "core/error.h"

namespace eaglerun::cli {

std::string head_dir(const std::string& draft) {
  return draft == "default" ? source_path("data/heads/smollm2-135m-instruct") : draft;
}

namespace {

DraftHead load_head(const DraftOptions& o, const ModelConfig& target) {
  if (o.draft == "random") return DraftHead::random(DraftHeadConfig::for_target(target), o.draft_seed, 0.02f);
  return DraftHead::load(head_dir(o.draft));
}

// The reduced draft vocabulary of --draft-vocab, or empty for the whole vocabulary.
std::vector<int32_t> draft_vocabulary(const DraftOptions& o, int64_t vocab_size) {
  if (o.draft_vocab == 0) return {};
  require(o.draft_vocab > 0, "--draft-vocab must be >= 0");
  require(!o.draft.empty(), "--draft-vocab needs an EAGLE head (--draft)");
  require(!o.draft_vocab_file.empty() || o.draft != "random", "--draft random has no draft_vocab.json: give --draft-vocab-file");
  const std::string file = o.draft_vocab_file.empty() ? head_dir(o.draft) + "/draft_vocab.json" : o.draft_vocab_file;
  return read_draft_vocabulary(file, o.draft_vocab, vocab_size);
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
       "costs and the observed acceptance), or a .json file of paths; any of them +lookup:K to add up to K "
       "tokens copied from the context (what followed the latest earlier occurrence of its last tokens) as one "
       "more branch")
      ("draft-seed", po::value(&o.draft_seed)->default_value(0), "seed of --draft random")
      ("draft-vocab", po::value(&o.draft_vocab)->default_value(0),
       "draft over the N most frequent tokens only (verification unchanged, still lossless); 0 = all")
      ("draft-vocab-file", po::value(&o.draft_vocab_file),
       "token ids most frequent first (JSON array) for --draft-vocab; default: the head's draft_vocab.json");
}

DraftSetup make_draft_setup(const DraftOptions& o, const Engine& target, Target& placed,
                            const EngineOptions& engine_options, int64_t context_tokens) {
  require(!(o.draft.empty() == false && o.draft_model.empty() == false), "give at most one of --draft and --draft-model");
  DraftSetup s;
  s.tree = parse_tree_spec(o.tree);
  if (s.tree.kind == TreeSpec::Kind::Auto) {
    s.tree.policy =
        std::make_shared<AutoTreePolicy>(CostCurve::measure(placed), kAutoMaxDepth, kAutoMaxTotal, kAutoMaxWidth);
  }
  // The drafter's cache: the context, and the rows of one tree's drafting on top of it.
  const int64_t capacity = context_tokens + s.tree.max_draft_rows();
  if (!o.draft.empty()) {
    s.head = std::make_unique<DraftHead>(load_head(o, target.model().config()));
    if (engine_options.precision == Precision::Fast) s.head->quantize_for_inference();
    s.drafter = std::make_unique<EagleDrafter>(target.model(), *s.head, capacity,
                                               draft_vocabulary(o, target.model().config().vocab_size));
  } else if (!o.draft_model.empty()) {
    require(o.draft_vocab == 0, "--draft-vocab needs an EAGLE head (--draft), not --draft-model");
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

}  // namespace eaglerun::cli
