#pragma once
// NcclCommunicator on real GPUs (libnccl, the CUDA runtime, cuBLAS): built with EAGLERUN_CUDA where
// NCCL is found (target eaglerun_nccl). The command line's split runs with --device cuda reach it
// through make_gpu_sums (gpu_sums.h, nccl_gpu_sums.cpp).
#include <memory>

#include "core/backend/backend.h"
#include "core/backend/cuda_device_api.h"
#include "parallel/job.h"
#include "parallel/nccl_communicator.h"

namespace eaglerun {

// The GPU this rank drives: its rank within its node (OMPI_COMM_WORLD_LOCAL_RANK, SLURM_LOCALID, ...;
// 0 when started on its own), so the ranks of a node take GPUs 0, 1, ... one each.
int nccl_local_gpu();

// NCCL over `host`'s ranks (every rank calls it). `device`: this rank's GPU, shared with the CUDA
// backend so that NCCL and the kernels are ordered on one stream; null: make_cudart_api(nccl_local_gpu()).
// Throws Error (one line) when there is no usable GPU or NCCL fails to start.
std::unique_ptr<NcclCommunicator> make_nccl_communicator(Communicator& host, std::shared_ptr<DeviceApi> device,
                                                         double timeout_seconds);

// The CUDA backend ("cuda:<gpu>") over `device` (make_cudart_api(gpu)) and cuBLAS on its stream,
// the DeviceApi shared (SharedDeviceApi) so that attach_libnccl_groups can order NCCL on the same stream.
std::shared_ptr<Backend> make_cuda_backend_on(std::shared_ptr<DeviceApi> device, int gpu);

// attach_nccl_groups (nccl_communicator.h) with libnccl on `device`. Collective over the job.
void attach_libnccl_groups(Job& job, std::shared_ptr<DeviceApi> device, double timeout_seconds);

}  // namespace eaglerun
