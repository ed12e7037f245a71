#pragma once
// What one experiment cell records, kept in memory while the cell runs and written as one HDF5
// file at its end (schema "eaglerun.experiment" version 1, docs/HDF5_SCHEMA.md): per request (one
// turn of a question) the prompt, plain and EAGLE outputs and times; per speculative step the tree
// size and depth, accepted length and times; per tree node its depth, rank among its siblings,
// parent and whether it was accepted; and summary datasets derived from those.
#include <cstdint>
#include <string>
#include <vector>

#include "core/eagle/speculative.h"

namespace eaglerun {

// Where a cell's numbers came from: the config, the code, the files and the machine.
struct Provenance {
  std::string config_json;         // this cell's config
  std::string experiment_json;     // the whole experiment's config
  std::string git_commit, eaglerun_version, date_utc;
  bool git_dirty = false;
  std::string model_path, model_sha256, head_path, head_sha256;
  std::string precision, device, cpu_model, kernel_isa;  // device: where the target ran ("cpu", "cuda:0")
  int64_t threads = 0, world_size = 1, tp = 1, pp = 1, ep = 1;
  double memory_bandwidth_gbps = 0;  // measured streaming read, this run
  // The machine's 1-minute load average when the cell started and ended (-1: unknown): above the
  // threads used, other work shared the cores and the timings are slower than alone.
  double load_average_start = -1, load_average_end = -1;
};

struct RequestRecord {
  std::string id, eval_set;
  int32_t turn = 0;
  std::vector<int32_t> prompt, plain_output, eagle_output;
  double plain_prefill_seconds = 0, plain_decode_seconds = 0, eagle_prefill_seconds = 0, eagle_decode_seconds = 0;
  int64_t plain_target_forwards = 0, eagle_target_forwards = 0;
  double tau = 0;  // EAGLE's tokens per target forward in its decode steps (bonus included)
};

// One prediction of the feature-error experiment (feature_error_cell.h).
struct FeatureErrorRow {
  int32_t request, start, depth;  // the rollout from position `start`; depth 0 reads only true features
  double rel_l2, cosine;          // against the target's feature at position start + depth
  uint8_t top1;                   // the head's logits have the target's top-1 token there
};

class CellRecord {
 public:
  // The steps of the request being decoded: call add_step from SpeculativeOptions::on_step, then
  // add_request once the request is done.
  void add_step(const StepRecord& step);
  void add_request(RequestRecord request);
  void add_feature_error(const FeatureErrorRow& row) { feature_errors_.push_back(row); }

  int64_t requests() const { return static_cast<int64_t>(requests_.size()); }
  // Writes `path` + ".partial", then renames it to `path`: a reader never sees half a cell.
  void write(const std::string& path, const Provenance& provenance) const;

 private:
  struct Step {
    int32_t request, tree_size, tree_depth, accepted;
    double draft_seconds, verify_seconds;
  };
  struct Node {
    int32_t step, depth, rank, parent, token;
    uint8_t accepted, copied;
  };
  std::vector<RequestRecord> requests_;
  std::vector<int64_t> request_first_step_{0};  // [requests + 1]
  std::vector<Step> steps_;
  std::vector<int64_t> step_first_node_{0};     // [steps + 1]
  std::vector<Node> nodes_;
  std::vector<FeatureErrorRow> feature_errors_;
};

}  // namespace eaglerun
