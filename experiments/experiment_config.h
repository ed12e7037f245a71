#pragma once
// An experiment config (JSON with // comments; docs/EXPERIMENTS.md) and its expansion into cells:
// every combination of the list-valued axes (models x drafts x trees x eval sets x temperatures x seeds
// [x noise scales]), each recorded in its own HDF5 file by `eaglerun experiment run`.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace eaglerun {

struct ExperimentConfig {
  std::string kind;                     // "speedup": plain and EAGLE decoding of every turn, interleaved;
                                        // "robustness": the same with noise on the features the head reads;
                                        // "feature_error": the head's error feeding on its own features
  std::vector<std::string> models;      // axis: .gguf / Hugging Face folder, or "default" (quantised targets)
  std::vector<std::string> drafts;      // axis: EAGLE head folder, "default" (the shipped head) or "random"
                                        // (draft-input ablation); JSON keys "model" and "draft"
  int64_t draft_vocab = 0;              // draft over the head's N most frequent tokens; 0 = all
  std::vector<std::string> trees;       // axis: --tree specs
  std::vector<std::string> eval_sets;   // axis: names under data/eval/ or .jsonl paths
  std::vector<double> temperatures;     // axis: 0 = greedy
  double top_p = 1.0;                   // sampling filters (with temperature > 0)
  int top_k = 0;
  std::vector<uint64_t> seeds;          // axis: sampling seeds
  std::string noise = "gaussian";       // robustness: gaussian | uniform (unit variance) x scale x RMS(row)
  std::vector<double> noise_scales;     // axis (robustness): relative to each feature row's RMS
  int64_t max_new_tokens = 256;         // per turn
  int64_t prompt_limit = 0;             // questions per eval set; 0 = all
  int max_turns = 0;                    // turns per question; 0 = every turn
  int threads = 2;
  std::string precision = "fast";       // fast | reference
  std::string device = "cpu";           // cpu | cuda | cuda:N: where the target runs
  nlohmann::json source;                // the config as given, recorded in every cell
};

struct ExperimentCell {
  int index = 0;
  std::string model, draft;
  std::string tree, eval_set;
  double temperature = 0;
  uint64_t seed = 0;
  double noise_scale = 0;  // robustness: the head's features get this much noise (0: none)
  bool robustness = false; // a robustness cell (its name carries the noise scale)
  std::string model_label, draft_label;  // set when that axis has several values: the file's or folder's name
  // "cell-0003-eagle1-mt_bench-T0-s0": the file name without ".h5" (unsafe characters become '_').
  // Robustness cells end in "-n<scale>"; with several models or drafts the name starts
  // "cell-0003-<model label>-<draft label>-...".
  std::string name() const;
  // The config with this cell's axes as single values (what the cell's file records).
  nlohmann::json to_json(const ExperimentConfig& config) const;
};

// Throws Error with one line for unreadable JSON, unknown settings, wrong types or empty axes.
// overrides: "key=value" with a JSON value (e.g. prompt_limit=2, trees=["chain:1"]), applied before
// the checks; the config recorded is the one with them.
ExperimentConfig parse_experiment_config(const std::string& path, const std::vector<std::string>& overrides = {});
ExperimentConfig experiment_config_from_json(const nlohmann::json& j);
std::vector<ExperimentCell> expand_cells(const ExperimentConfig& config);
// "0,2-4" -> {0, 2, 3, 4}; empty = all n. Throws Error for indices outside [0, n) or bad syntax.
std::vector<int> parse_cell_selection(const std::string& spec, int n);

}  // namespace eaglerun
