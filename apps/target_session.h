#pragma once
// The target model as generate and bench use it: in this process, or spread over the ranks of an
// MPI job (mpirun -np N eaglerun ... --tp A --pp B [--ep C], or srun --mpi=pmix).
//
// Every rank calls TargetSession::start with the same options. On the coordinator (world rank 0)
// the session holds an Engine (tokenizer, chat format, and the whole model's mapping, which the
// drafter reads its embedding and LM head from) and runs requests; every other rank holds only its
// shard and serves the coordinator until it ends the job (serve()). Set-up errors are agreed over
// the job, so rank 0 alone reports them (one message, naming the failing rank).
//
// --device cuda[:N] with a split: each rank drives GPU N + its rank within its node (split_gpu) and
// builds its shard on that GPU's CUDA backend; the model's all-reduces (tp or ep > 1) run on NCCL
// groups sharing the backend's stream, the rest on MPI with host copies (docs/DISTRIBUTED.md). The
// coordinator's engine (tokenizer, drafter side) stays on the CPU.
#include <memory>
#include <vector>

#include "apps/cli_common.h"
#include "apps/draft_options.h"
#include "parallel/command_channel.h"
#include "parallel/job.h"

namespace eaglerun::cli {

// --tp, --pp, --ep, --comm-timeout into `options`.
void add_parallel_options(po::options_description& desc, ParallelOptions& options);

// "4 ranks: tp 2 x ep 1 x pp 2" for a distributed run's summary lines.
std::string split_text(const World& world);

class TargetSession {
 public:
  static std::unique_ptr<TargetSession> start(const ParallelOptions& parallel, const EngineOptions& engine);
  ~TargetSession();  // ends the workers (rank 0 then reports its error and exits non-zero)

  const World& world() const { return job_->world(); }
  bool distributed() const { return !world().single(); }
  bool worker() const { return !world().is_coordinator(); }
  // Worker: serves the coordinator's commands; returns the exit status it ends the job with. An
  // error on this worker ends the whole job at once (its line names this rank; MPI_Abort).
  int serve();

  // Coordinator only.
  Engine& engine() { return *engine_; }
  // The target the decoding loops run on: the engine's model, or the model spread over the job.
  Target& target();
  SpeculativeResult run(DraftSetup* draft, Sampler& sampler, const GenerationRequest& request);
  // Greedy plain decoding of several requests together (generate_plain_batch): one model pass per
  // step for all of them on one rank, pipeline micro-batches over the job.
  std::vector<GenerationResult> run_batch(const std::vector<GenerationRequest>& requests);
  // Every rank's communication since the last call (indexed by world rank), then counting restarts.
  std::vector<CommStats> take_comm_stats();
  // Ends the workers with success.
  void finish();

 private:
  TargetSession() = default;

  std::unique_ptr<Job> job_;
  std::unique_ptr<ThreadPool> pool_;  // a worker's; the coordinator uses the engine's
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<DistributedModel> model_;
  std::unique_ptr<LocalTarget> local_;        // one rank
  std::unique_ptr<DistributedTarget> target_;  // several ranks
};

}  // namespace eaglerun::cli
