#pragma once
// The NCCL calls NcclCommunicator makes, behind a small interface of the project's own:
//   make_libnccl_api (nccl_api.cpp): libnccl, built with EAGLERUN_CUDA where CMake finds NCCL;
//   tests/parallel/mpi_nccl_api.*: an MPI-backed stand-in on host memory with NCCL's semantics, so the
//     communicator's calling code runs under mpirun without a GPU.
// No NCCL type appears here: a build without NCCL compiles this header (it needs cuda_runtime.h only).
//
// Every buffer is a device pointer; sizes are bytes (NCCL's ncclUint8). The collective and
// point-to-point calls enqueue on `stream` and return; `finished` says when the stream is done.
// Every failing call throws Error naming the NCCL call, the NCCL error and the rank.
#include <cuda_runtime.h>

#include <array>
#include <cstddef>
#include <memory>

namespace eaglerun {

// ncclUniqueId: made by one rank, sent to the others (over MPI) before init_rank.
struct NcclUniqueId {
  std::array<char, 128> bytes{};  // NCCL_UNIQUE_ID_BYTES
};

// ncclComm_t, opaque.
using NcclComm = struct NcclCommHandle*;

class NcclApi {
 public:
  virtual ~NcclApi() = default;

  virtual NcclUniqueId get_unique_id() = 0;
  // Collective over the `size` ranks that pass the same id; the calling thread's current GPU is
  // this rank's. Blocks the host until every rank has joined.
  virtual NcclComm init_rank(const NcclUniqueId& id, int size, int rank) = 0;
  virtual void destroy(NcclComm comm) = 0;  // after the work enqueued on it
  virtual void abort(NcclComm comm) noexcept = 0;  // at once, dropping enqueued work

  // recv[size * bytes] <- every rank's send[bytes], in rank order. In place when send is
  // recv + rank * bytes.
  virtual void all_gather(const void* send, void* recv, std::size_t bytes, NcclComm comm, cudaStream_t stream) = 0;
  // recv[bytes] <- root's send[bytes] (send is read on root only; send == recv is in place).
  virtual void broadcast(const void* send, void* recv, std::size_t bytes, int root, NcclComm comm,
                         cudaStream_t stream) = 0;
  // Point to point, no tags: the messages between two ranks match in the order they were posted.
  // A send and its recv must name the same bytes.
  virtual void send(const void* data, std::size_t bytes, int peer, NcclComm comm, cudaStream_t stream) = 0;
  virtual void recv(void* data, std::size_t bytes, int peer, NcclComm comm, cudaStream_t stream) = 0;
  // The calls between group_start and group_end are one operation: their sends and receives progress
  // together, so no order of them deadlocks (an all-to-all). Groups nest; the outermost end runs them.
  virtual void group_start() = 0;
  virtual void group_end() = 0;

  // True when everything enqueued on `stream` has completed. Throws Error when the communicator
  // reported an asynchronous error (a peer failed, a network error).
  virtual bool finished(NcclComm comm, cudaStream_t stream) = 0;
};

// libnccl (nccl_api.cpp); `world_rank` names this process in error messages. Only in builds with
// EAGLERUN_CUDA and NCCL (target eaglerun_nccl).
std::unique_ptr<NcclApi> make_libnccl_api(int world_rank);

}  // namespace eaglerun
