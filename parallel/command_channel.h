#pragma once
// The coordinator drives every rank through the same sequence of DistributedModel calls: each
// call on DistributedTarget (world rank 0) broadcasts one command over job.all() and then runs
// the call locally; serve() on every other rank receives the commands and makes the same calls.
//   Begin{capacity, sequences}  Forward{step}  Keep{nodes}  Stats  End
// A command is a fixed header and a list of int32 (tokens and parents, or kept nodes): for a
// tree of n nodes 8n bytes, the only per-step traffic besides activations and results.
#include <span>
#include <vector>

#include "core/runtime/target.h"
#include "parallel/distributed_model.h"

namespace eaglerun {

class DistributedTarget final : public Target {
 public:
  explicit DistributedTarget(DistributedModel& model);  // world rank 0 only
  ~DistributedTarget();                                  // ends the workers if end() was not called

  const ModelConfig& config() const override { return model_.config(); }
  DistributedModel& model() { return model_; }

  void begin(int64_t capacity) override { begin_batch(capacity, 1); }
  // `sequences` sequences, each its own KV cache; a step names its sequence (keep() is sequence 0's).
  void begin_batch(int64_t capacity, int32_t sequences) override;
  StepOutput forward(const Step& step) override;  // launch() then collect()
  // Taps are not gathered across ranks yet: any layer is an Error (none is accepted).
  void set_feature_taps(std::vector<int64_t> layers) override;
  // Every step launched, then every result collected: each sequence is a pipeline micro-batch.
  std::vector<StepOutput> forward_batch(std::span<const Step> steps) override;
  // A forward whose results collect() returns later, in launch order: the coordinator can put the
  // next sequence's step into the pipeline while the later stages still work on this one.
  void launch(const Step& step);
  StepOutput collect();
  std::vector<float> keep(std::span<const int32_t> nodes, bool want_features) override;
  // Every rank's communication counters, indexed by world rank (taken before this call).
  std::vector<CommStats> gather_stats();
  void reset_stats();
  // Workers leave serve() with status 0, also when rank 0 ends the job because it failed: the
  // failure is rank 0's to report, and its own non-zero exit fails the job. (A worker exiting
  // non-zero first makes mpirun kill rank 0 before it has printed its error line.)
  void end();

 private:
  DistributedModel& model_;
  bool ended_ = false;
};

// Runs the coordinator's commands on a worker rank until End; returns the exit status it carries.
int serve(DistributedModel& model);

}  // namespace eaglerun
