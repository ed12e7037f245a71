#pragma once
// The "speedup" experiment kind (and "robustness", the same with noise on the head's features),
// one cell: every turn of every question of an eval set decoded
// plainly and with EAGLE, interleaved request by request on the same target (same prompts,
// threads and split), as the paper's evaluation runs them: the second turn of a question follows
// the model's own (plain) answer to the first in the chat. Each EAGLE step is recorded.
#include <functional>
#include <string>
#include <vector>

#include "core/eagle/speculative.h"
#include "core/runtime/engine.h"
#include "experiments/experiment_config.h"
#include "experiments/experiment_record.h"

namespace eaglerun {

struct EvalQuestion {
  std::string id;
  std::vector<std::string> turns;  // user messages, in order
};

// `name_or_path`: a folder name under data/eval/ (its question.jsonl) or a .jsonl path. limit: the
// first N questions (0 = all). Throws Error naming the file and line for anything malformed, and for
// an empty set.
std::vector<EvalQuestion> read_eval_set(const std::string& name_or_path, int64_t limit);

struct CellProgress {
  int64_t requests_done = 0, requests_total = 0;
  int64_t eagle_tokens = 0;
  double eagle_seconds = 0;
};

// Runs one cell; `progress` (may be empty) is called after each request.
CellRecord run_speedup_cell(const ExperimentConfig& config, const ExperimentCell& cell, Target& target,
                            const Engine& engine, Drafter& drafter, const TreeSpec& tree,
                            const std::function<void(const CellProgress&)>& progress);

}  // namespace eaglerun
