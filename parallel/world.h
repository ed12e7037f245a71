#pragma once
// Where one rank sits in a job of tp x ep x pp ranks, as a plain value.
//   tp: tensor-parallel ranks (attention heads, MLP rows, vocabulary split across them)
//   ep: expert-parallel ranks (MoE experts placed across them; attention is repeated on each)
//   pp: pipeline stages (contiguous layer ranges)
// rank = (pp_rank * ep + ep_rank) * tp + tp_rank: a tensor-parallel group is neighbouring ranks
// (one node under block placement), pipeline stages vary slowest (across nodes).
// Rank 0 (tp 0, ep 0 of the first stage) is the coordinator: it drafts and verifies.
#include <string>

namespace eaglerun {

struct World {
  int size = 1;        // ranks in the job
  int rank = 0;        // this rank
  int local_rank = 0;  // rank within its node (the device it would use)
  int tp = 1, ep = 1, pp = 1;
  int tp_rank = 0, ep_rank = 0, pp_rank = 0;

  // Throws Error when tp * ep * pp != size or any of them is < 1.
  static World make(int rank, int size, int tp, int ep, int pp, int local_rank = 0);

  int rank_of(int tp_rank, int ep_rank, int pp_rank) const { return (pp_rank * ep + ep_rank) * tp + tp_rank; }
  int stage_size() const { return tp * ep; }                    // ranks per pipeline stage
  int stage_index() const { return ep_rank * tp + tp_rank; }    // this rank within its stage
  bool is_coordinator() const { return rank == 0; }
  bool first_stage() const { return pp_rank == 0; }
  bool last_stage() const { return pp_rank == pp - 1; }
  bool single() const { return size == 1; }
  std::string describe() const;  // "rank 3 of 4 (tp 1/2, ep 0/1, pp 1/2)"
};

// The GPU a rank of a split drives with --device cuda:N ("cuda" is cuda:0): N + its rank within its
// node, so the ranks of a node take GPUs N, N+1, ... one each (N > 0 leaves the first GPUs to others).
inline int split_gpu(int first_gpu, const World& world) { return first_gpu + world.local_rank; }

// The rank, size and node-local rank the launcher gave this process: OpenMPI's mpirun
// (OMPI_COMM_WORLD_*), PMIx (srun --mpi=pmix: PMIX_RANK), or Slurm (SLURM_PROCID, SLURM_NTASKS,
// SLURM_LOCALID). found is false for a process started on its own.
struct LaunchEnvironment {
  bool found = false;
  int rank = 0, size = 1, local_rank = 0;
  std::string launcher;  // "mpirun", "pmix", "slurm" or "none"
};
LaunchEnvironment launch_environment();

}  // namespace eaglerun
