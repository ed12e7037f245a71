#pragma once
// The ranks of one job and the groups a rank talks to:
//   all()     every rank (commands from the coordinator, pipeline hand-offs)
//   stage()   the tp x ep ranks of this pipeline stage (MoE sums, vocabulary-split LM head)
//   tensor()  the tp ranks of this stage with this ep rank (attention and MLP all-reduces)
// These carry host memory. The model's own all-reduces (ModelCollectives, on the backend's
// activation buffers) run on model_tensor() and model_stage(): the same groups, unless
// set_model_groups() gave device communicators over the same ranks (NCCL, when the shards run on GPUs).
#include <memory>
#include <string>

#include "parallel/communicator.h"
#include "parallel/world.h"

namespace eaglerun {

struct ParallelOptions {
  int tp = 0;                 // tensor-parallel ranks; 0: the job's size / (ep * pp)
  int ep = 1;                 // expert-parallel ranks
  int pp = 1;                 // pipeline stages
  double comm_timeout = 60;   // seconds one blocking call may wait before the job ends (0: no limit)
};

class Job {
 public:
  // The whole job's communicator: MPI when a launcher (mpirun, srun --mpi=pmix) started this
  // process, else one rank. Throws Error when the launcher and this build or MPI disagree.
  static std::unique_ptr<Communicator> connect(const ParallelOptions& options);
  // Where `all`'s rank sits under the options. Throws Error when the split does not fit the job.
  static World world_of(const Communicator& all, const ParallelOptions& options);
  // connect() and world_of() in one.
  static std::unique_ptr<Job> start(const ParallelOptions& options);
  // Splits `all` into the stage and tensor groups of `world` (every rank calls it).
  Job(std::unique_ptr<Communicator> all, const World& world);

  const World& world() const { return world_; }
  Communicator& all() { return *all_; }
  Communicator& stage() { return *stage_; }
  Communicator& tensor() { return *tensor_; }

  // Replaces the groups the model sums its partial outputs over (every rank calls it, before the
  // model is built): `tensor` for tensor(), `stage` for stage(); null keeps that host group. The two
  // may be one object (ep = 1: the stage is the tensor group). They live until the Job goes.
  void set_model_groups(std::shared_ptr<Communicator> tensor, std::shared_ptr<Communicator> stage);
  Communicator& model_tensor() { return model_tensor_ ? *model_tensor_ : *tensor_; }
  Communicator& model_stage() { return model_stage_ ? *model_stage_ : *stage_; }

  // Communication of this rank through all its groups (the model's device groups included).
  CommStats stats() const;
  void reset_stats();

 private:
  std::unique_ptr<Communicator> all_;
  World world_;
  std::unique_ptr<Communicator> stage_, tensor_;
  // Declared after the host groups, so destroyed first (an NCCL group uses its host group).
  std::shared_ptr<Communicator> model_tensor_, model_stage_;
};

// Setup errors, agreed over the job so that one rank reports them: every rank passes its error
// ("" for none). Returns "" when no rank failed, else the lowest failing rank's message (prefixed
// "rank R: " when R is not 0). Messages are cut at 1000 bytes.
std::string agree_on_error(Communicator& all, const std::string& error);

}  // namespace eaglerun
