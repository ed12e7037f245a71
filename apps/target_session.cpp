#include "apps/target_session.h"

#include "core/backend/device.h"
#include "core/error.h"
#include "core/weights/open_model.h"
#include "parallel/comm_watchdog.h"
#include "parallel/gpu_sums.h"

namespace eaglerun::cli {

void add_parallel_options(po::options_description& desc, ParallelOptions& o) {
  desc.add_options()
      ("tp", po::value(&o.tp)->default_value(0),
       "tensor-parallel ranks (under mpirun/srun; 0: the job's ranks / (ep x pp))")
      ("pp", po::value(&o.pp)->default_value(1), "pipeline stages (contiguous layer ranges)")
      ("ep", po::value(&o.ep)->default_value(1), "expert-parallel ranks (MoE models)")
      ("comm-timeout", po::value(&o.comm_timeout)->default_value(60),
       "seconds a blocking communication call may wait for a peer before the job ends (0: no limit; "
       "$EAGLERUN_COMM_TIMEOUT overrides)");
}

std::string split_text(const World& w) {
  return std::to_string(w.size) + " ranks: tp " + std::to_string(w.tp) + " x ep " +
         std::to_string(w.ep) + " x pp " + std::to_string(w.pp);
}

std::unique_ptr<TargetSession> TargetSession::start(const ParallelOptions& parallel, const EngineOptions& engine) {
  std::unique_ptr<TargetSession> s(new TargetSession());
  s->job_ = Job::start(parallel);  // its errors (a split that does not fit the job) are the same on every rank
  if (s->job_->world().single()) {
    s->engine_ = std::make_unique<Engine>(engine);
    return s;
  }
  const World& w = s->job_->world();
  // --device cuda[:N]: each rank drives one GPU, N + its rank within its node (split_gpu).
  std::shared_ptr<Backend> backend;  // the shard's; null: the CPU
  std::unique_ptr<GpuSums> gpu_sums;  // set when the shards' sums need NCCL (tp or ep > 1 on GPUs)
  std::string error;
  try {  // the device first, as on one rank: an unusable GPU is reported before a model is read
    const DeviceSpec device = parse_device(engine.device);
    if (device.kind == DeviceSpec::Kind::Cuda) {
      const int gpu = split_gpu(device.index, w);
      if (split_sums_partials(w)) {  // a build without NCCL says so here
        gpu_sums = make_gpu_sums(gpu);
        backend = gpu_sums->backend();
      } else {
        ThreadPool unused(1);  // only the CPU backend keeps a pool
        backend = make_backend({DeviceSpec::Kind::Cuda, gpu}, unused, engine.precision);
      }
    }
  } catch (const Error& e) {
    error = e.what();
  }
  error = agree_on_error(s->job_->all(), error);
  require(error.empty(), error);
  if (gpu_sums) {
    // Collective over the job, once every rank has its GPU. A rank whose NCCL fails to start ends the
    // job at once (its line names the NCCL call and the rank): the others wait in ncclCommInitRank.
    try {
      gpu_sums->attach_groups(*s->job_, comm_timeout_from_env(parallel.comm_timeout));
    } catch (const Error& e) {
      s->job_->all().abort(e.what(), 1);
    }
  }
  try {
    // The coordinator's engine (tokenizer, chat format, the drafter's embedding and LM head) stays on
    // the CPU: only the target's shards run on the GPUs.
    EngineOptions host_engine = engine;
    host_engine.device = "cpu";
    if (w.is_coordinator()) {
      s->engine_ = std::make_unique<Engine>(host_engine);
    } else {
      s->pool_ = std::make_unique<ThreadPool>(engine.threads);
    }
    ThreadPool& pool = s->pool_ ? *s->pool_ : s->engine_->pool();
    s->model_ = std::make_unique<DistributedModel>(*s->job_, open_model(engine.model_path), pool, engine.precision,
                                                   std::move(backend));
  } catch (const Error& e) {
    error = e.what();
  }
  error = agree_on_error(s->job_->all(), error);
  require(error.empty(), error);
  report_errors_on_every_rank();  // from here on a rank's error is its own
  if (!s->worker()) s->target_ = std::make_unique<DistributedTarget>(*s->model_);
  return s;
}

TargetSession::~TargetSession() = default;  // target_'s destructor ends the workers when finish() was not called

int TargetSession::serve() {
  require(worker(), "serve() is for worker ranks");
  try {
    return eaglerun::serve(*model_);
  } catch (const Error& e) {
    // The other ranks wait for this one in their next call: end the job now, this rank's line first
    // (returning would leave MPI_Finalize waiting for them until --comm-timeout).
    job_->all().abort(e.what(), 1);
  }
  return 1;  // not reached: abort() ends the job
}

Target& TargetSession::target() {
  require(!worker(), "target() is for the coordinator");
  if (target_) return *target_;
  if (!local_) local_ = std::make_unique<LocalTarget>(engine_->model());
  return *local_;
}

SpeculativeResult TargetSession::run(DraftSetup* draft, Sampler& sampler, const GenerationRequest& request) {
  if (draft != nullptr && draft->drafter) {
    return generate_speculative(target(), *draft->drafter, draft->tree, sampler, request);
  }
  return {generate_plain(target(), sampler, request), {}};
}

std::vector<GenerationResult> TargetSession::run_batch(const std::vector<GenerationRequest>& requests) {
  return generate_plain_batch(target(), requests);
}

std::vector<CommStats> TargetSession::take_comm_stats() {
  if (!distributed()) return {CommStats{}};
  std::vector<CommStats> stats = target_->gather_stats();
  target_->reset_stats();
  return stats;
}

void TargetSession::finish() {
  if (target_) target_->end();
}

}  // namespace eaglerun::cli
