#include "parallel/job.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "parallel/comm_watchdog.h"
#include "parallel/mpi_communicator.h"
#include "parallel/single_rank_communicator.h"

namespace eaglerun {
std::unique_ptr<Communicator> Job::connect(const ParallelOptions& o) {
  const LaunchEnvironment env = launch_environment();
  if (!env.found || (env.size == 1 && !mpi_built())) return std::make_unique<SingleRankCommunicator>();
  require(mpi_built(), "started by " + env.launcher + " with " + std::to_string(env.size) +
                           " ranks, but this eaglerun was built without MPI (EAGLERUN_WITH_MPI=OFF)");
  auto all = mpi_world(comm_timeout_from_env(o.comm_timeout));
  require(all->size() == env.size, env.launcher + " started " + std::to_string(env.size) + " ranks but MPI sees " +
                                       std::to_string(all->size()) + " (under Slurm use srun --mpi=pmix)");
  return all;
}

World Job::world_of(const Communicator& all, const ParallelOptions& o) {
  require(o.tp >= 0 && o.ep >= 1 && o.pp >= 1, "--tp, --ep and --pp must be positive (--tp 0: the job's ranks / "
                                                "(ep x pp))");
  const int size = all.size(), rest = o.ep * o.pp;
  const int tp = o.tp > 0 ? o.tp : (rest > 0 && size % rest == 0 ? size / rest : 0);
  require(tp > 0, "--ep " + std::to_string(o.ep) + " x --pp " + std::to_string(o.pp) + " does not divide the job's " +
                      std::to_string(size) + " ranks");
  return World::make(all.rank(), size, tp, o.ep, o.pp, launch_environment().local_rank);
}

std::unique_ptr<Job> Job::start(const ParallelOptions& o) {
  auto all = connect(o);
  const World world = world_of(*all, o);
  return std::make_unique<Job>(std::move(all), world);
}

Job::Job(std::unique_ptr<Communicator> all, const World& world) : all_(std::move(all)), world_(world) {
  stage_ = all_->split(world_.pp_rank, world_.stage_index());
  tensor_ = all_->split(world_.pp_rank * world_.ep + world_.ep_rank, world_.tp_rank);
}

void Job::set_model_groups(std::shared_ptr<Communicator> tensor, std::shared_ptr<Communicator> stage) {
  require(!tensor || tensor->size() == tensor_->size(), "the model's tensor group must have the tensor group's ranks");
  require(!stage || stage->size() == stage_->size(), "the model's stage group must have the stage's ranks");
  model_tensor_ = std::move(tensor);
  model_stage_ = std::move(stage);
}

CommStats Job::stats() const {
  CommStats s = all_->stats();
  s += stage_->stats();
  s += tensor_->stats();
  if (model_tensor_) s += model_tensor_->stats();
  if (model_stage_ && model_stage_ != model_tensor_) s += model_stage_->stats();
  return s;
}

void Job::reset_stats() {
  all_->reset_stats();
  stage_->reset_stats();
  tensor_->reset_stats();
  if (model_tensor_) model_tensor_->reset_stats();
  if (model_stage_) model_stage_->reset_stats();
}

std::string agree_on_error(Communicator& all, const std::string& error) {
  constexpr std::size_t kLength = 1024;
  std::vector<char> mine(kLength, 0), every(kLength * static_cast<std::size_t>(all.size()));
  std::memcpy(mine.data(), error.data(), std::min(error.size(), kLength - 24));
  all.all_gather(mine.data(), kLength, every.data());
  for (int r = 0; r < all.size(); ++r) {
    const char* message = every.data() + static_cast<std::size_t>(r) * kLength;
    if (*message == 0) continue;
    return r == 0 ? std::string(message) : "rank " + std::to_string(r) + ": " + message;
  }
  return {};
}

}  // namespace eaglerun
