#pragma once
// --draft / --draft-model / --tree: which drafter speculative decoding uses, shared by generate and bench.
#include <memory>
#include <string>

#include "apps/cli_common.h"
#include "core/eagle/draft_head.h"
#include "core/eagle/drafter.h"
#include "core/eagle/speculative.h"
#include "core/eagle/tree_spec.h"

namespace eaglerun::cli {

struct DraftOptions {
  std::string draft;        // EAGLE head folder, "random" (untrained, for testing) or empty
  std::string draft_model;  // a whole draft model (.gguf / HF folder), "self" = the target itself
  std::string tree = "eagle1";
  uint64_t draft_seed = 0;  // for --draft random
  int64_t draft_vocab = 0;  // draft over the N most frequent tokens (0 = all)
  std::string draft_vocab_file;  // their list; default: the head folder's draft_vocab.json

  bool enabled() const { return !draft.empty() || !draft_model.empty(); }
};

void add_draft_options(po::options_description& desc, DraftOptions& options);
// The head folder a --draft value names: "default" is the shipped head for the default model.
std::string head_dir(const std::string& draft);

// The drafter and everything it owns.
struct DraftSetup {
  std::unique_ptr<DraftHead> head;
  std::unique_ptr<Engine> draft_engine;
  std::unique_ptr<Drafter> drafter;
  TreeSpec tree;
};

// context_tokens: the longest prompt + max new tokens of the run. `target` is what --tree auto
// measures its cost curve on (the split's own costs under mpirun). Throws Error for bad options.
DraftSetup make_draft_setup(const DraftOptions& options, const Engine& engine, Target& target,
                            const EngineOptions& engine_options, int64_t context_tokens);


}  // namespace eaglerun::cli
