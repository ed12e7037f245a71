#pragma once
// Split ranks on GPUs whose shards sum partial outputs (tp or ep > 1): this rank's CUDA backend and
// the NCCL groups that sum on its stream, behind one factory so that callers need no #if:
//   parallel/nccl_gpu_sums.cpp     with NCCL (in eaglerun_nccl: EAGLERUN_CUDA where NCCL is found);
//   parallel/no_nccl_gpu_sums.cpp  without: make_gpu_sums throws Error saying this build has no NCCL.
// parallel/CMakeLists.txt picks one by its source lists. apps/target_session.cpp uses it.
#include <memory>

#include "core/backend/backend.h"
#include "parallel/job.h"
#include "parallel/world.h"

namespace eaglerun {

// True when the shards of `world` sum partial outputs (a tensor or stage group of several ranks):
// on GPUs those sums need NCCL groups; a pipeline-only split needs none.
inline bool split_sums_partials(const World& world) { return world.stage_size() > 1; }

class GpuSums {
 public:
  virtual ~GpuSums() = default;
  // The shard's CUDA backend ("cuda:<gpu>"), sharing its stream with the NCCL groups.
  virtual std::shared_ptr<Backend> backend() const = 0;
  // Gives `job` NCCL communicators over its tensor / stage groups for the model's all-reduces
  // (attach_nccl_groups, nccl_communicator.h), on the backend's stream. Collective over the job;
  // throws Error (one line naming the NCCL call and the rank) when NCCL fails to start.
  virtual void attach_groups(Job& job, double timeout_seconds) = 0;
};

// GPU `gpu` of this rank, set up for a split whose shards sum partials. Throws Error (one line) when
// there is no usable GPU, or when this build has no NCCL.
std::unique_ptr<GpuSums> make_gpu_sums(int gpu);

}  // namespace eaglerun
