#include "parallel/world.h"

#include <cstdlib>

#include "core/error.h"

namespace eaglerun {
namespace {

// The integer in environment variable `name`, or -1 when unset or not a number.
int env_int(const char* name) {
  const char* s = std::getenv(name);
  if (s == nullptr || *s == 0) return -1;
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  return (*end == 0 && v >= 0 && v < (1 << 30)) ? static_cast<int>(v) : -1;
}

}  // namespace

World World::make(int rank, int size, int tp, int ep, int pp, int local_rank) {
  require(tp >= 1 && ep >= 1 && pp >= 1, "--tp, --ep and --pp must be at least 1");
  require(tp * ep * pp == size, "--tp " + std::to_string(tp) + " x --ep " + std::to_string(ep) + " x --pp " +
                                    std::to_string(pp) + " = " + std::to_string(tp * ep * pp) +
                                    " ranks, but the job has " + std::to_string(size) +
                                    (size == 1 ? " (start it with mpirun -np N or srun)" : ""));
  require(rank >= 0 && rank < size, "rank " + std::to_string(rank) + " is outside a job of " + std::to_string(size));
  World w;
  w.size = size;
  w.rank = rank;
  w.local_rank = local_rank;
  w.tp = tp;
  w.ep = ep;
  w.pp = pp;
  w.tp_rank = rank % tp;
  w.ep_rank = (rank / tp) % ep;
  w.pp_rank = rank / (tp * ep);
  return w;
}

std::string World::describe() const {
  return "rank " + std::to_string(rank) + " of " + std::to_string(size) + " (tp " + std::to_string(tp_rank) + "/" +
         std::to_string(tp) + ", ep " + std::to_string(ep_rank) + "/" + std::to_string(ep) + ", pp " +
         std::to_string(pp_rank) + "/" + std::to_string(pp) + ")";
}

LaunchEnvironment launch_environment() {
  LaunchEnvironment e;
  if (env_int("OMPI_COMM_WORLD_SIZE") >= 1) {
    e = {true, env_int("OMPI_COMM_WORLD_RANK"), env_int("OMPI_COMM_WORLD_SIZE"),
         env_int("OMPI_COMM_WORLD_LOCAL_RANK"), "mpirun"};
  } else if (env_int("PMIX_RANK") >= 0 && env_int("SLURM_NTASKS") >= 1) {
    e = {true, env_int("PMIX_RANK"), env_int("SLURM_NTASKS"), env_int("SLURM_LOCALID"), "pmix"};
  } else if (env_int("SLURM_PROCID") >= 0 && env_int("SLURM_NTASKS") >= 1 && env_int("SLURM_STEP_ID") >= 0) {
    e = {true, env_int("SLURM_PROCID"), env_int("SLURM_NTASKS"), env_int("SLURM_LOCALID"), "slurm"};
  } else {
    e.launcher = "none";
  }
  if (e.local_rank < 0) e.local_rank = 0;
  return e;
}

}  // namespace eaglerun
