#include "apps/target_session.h"

#include "core/error.h"
#include "core/weights/open_model.h"

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
  require(engine.device == "cpu", "--device " + engine.device +
                                      " runs one rank: the ranks of a split (--tp/--pp/--ep) run on the CPU until "
                                      "the NCCL communicator lands");
  std::string error;
  try {
    const World& w = s->job_->world();
    if (w.is_coordinator()) {
      s->engine_ = std::make_unique<Engine>(engine);
    } else {
      s->pool_ = std::make_unique<ThreadPool>(engine.threads);
    }
    ThreadPool& pool = s->pool_ ? *s->pool_ : s->engine_->pool();
    s->model_ = std::make_unique<DistributedModel>(*s->job_, open_model(engine.model_path), pool, engine.precision);
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
  return eaglerun::serve(*model_);
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
