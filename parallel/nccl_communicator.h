#pragma once
// A Communicator on NCCL: one GPU per rank, and every buffer passed to it is a DEVICE pointer on that
// GPU (the CUDA backend's activations). The NCCL calls are enqueued on the DeviceApi's stream, so
// they run after the kernels that wrote their buffers; each call then waits for the stream, so it
// returns done, like the MPI communicator's (and CommStats measure it).
//
// Built from two seams, so that tests run this very code on host memory under mpirun:
//   NcclApi (nccl_api.h): libnccl, or an MPI-backed stand-in (tests/parallel/mpi_nccl_api.h);
//   DeviceApi (core/backend/cuda_device_api.h): the CUDA runtime, or host memory (tests/cuda).
// The ranks are those of a host communicator (MPI, host memory) that carries the NCCL unique id from
// rank 0 and the barrier; NCCL rank r is its rank r.
//
// all_reduce_sum keeps the base class's order (every element summed in rank order, whatever the
// count): an all-to-all of blocks (grouped ncclSend/ncclRecv), the received blocks summed in rank
// order on the device (cuda::sum_blocks), then ncclAllGather. Its stats are the MPI communicator's:
// one call, 2 (p-1) x block bytes sent, the wall time of the whole (both phases, the sum and copies).
//
// send/recv carry no tag (NCCL has none): the messages between two ranks match in the order sent.
//
// Time limits (timeout_seconds, 0 = none):
//   waiting for the stream after a call: past the limit the NCCL communicator is aborted
//     (ncclCommAbort) and the call throws Error naming the operation and the peers; later calls throw;
//   host-blocking NCCL calls (ncclCommInitRank, ncclGroupEnd while it sets up connections) run under
//     a CommWatchdog, which ends the process past the limit with the operation and peers named (as
//     the MPI communicator does); NCCL is not aborted first: the process exit ends its work.
// Every call comes from one thread, the one whose current GPU is this rank's (cudaSetDevice).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/backend/cuda_device_api.h"
#include "parallel/comm_watchdog.h"
#include "parallel/communicator.h"
#include "parallel/gpu_sums.h"  // split_sums_partials
#include "parallel/job.h"
#include "parallel/nccl_api.h"

namespace eaglerun {

// What the communicators of one process share: NCCL, this rank's GPU and the time limit.
struct NcclResources {
  std::shared_ptr<NcclApi> nccl;
  std::shared_ptr<DeviceApi> device;
  double timeout_seconds = 60;
};

// A DeviceApi that forwards to a shared one. The CUDA backend owns its DeviceApi; giving it one of
// these lets the NCCL communicators hold the same DeviceApi, so the kernels and NCCL share a stream.
class SharedDeviceApi final : public ForwardingDeviceApi {
 public:
  using ForwardingDeviceApi::ForwardingDeviceApi;
};

class NcclCommunicator final : public Communicator {
 public:
  // Collective over `host`'s ranks (each calls it): rank 0 makes the NCCL unique id, sent to the
  // others over `host`, then every rank joins the NCCL communicator. `host` must outlive this.
  NcclCommunicator(Communicator& host, NcclResources resources);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return host_->rank(); }
  int size() const override { return host_->size(); }
  int world_rank(int r) const override { return host_->world_rank(r); }

  // Splits the host communicator, then makes a NCCL communicator over each new group.
  std::unique_ptr<Communicator> split(int color, int key) override;
  // Aborts the NCCL communicator, then ends the job through the host communicator.
  [[noreturn]] void abort(const std::string& message, int code) override;

 protected:
  // data: device pointer, [count] floats (all_reduce_sum counts it).
  void do_all_reduce_sum(float* data, int64_t count) override;
  void do_all_gather(const void* send, std::size_t bytes, void* recv) override;
  void do_broadcast(void* data, std::size_t bytes, int root) override;
  void do_send(const void* data, std::size_t bytes, int dest, int tag) override;
  void do_recv(void* data, std::size_t bytes, int source, int tag) override;
  void do_all_to_all(const void* send, std::size_t bytes, void* recv) override;
  void do_barrier() override;

 private:
  // A device buffer that grows on demand (all_reduce_sum's blocks).
  class Scratch {
   public:
    explicit Scratch(DeviceApi& device) : device_(device) {}
    ~Scratch();
    float* floats(int64_t n);

   private:
    DeviceApi& device_;
    void* data_ = nullptr;
    int64_t bytes_ = 0;
  };

  NcclCommunicator(std::unique_ptr<Communicator> owned_host, NcclResources resources,
                   std::shared_ptr<CommWatchdog> watchdog);
  void join();
  NcclComm live_comm() const;  // throws once the communicator was aborted
  cudaStream_t stream() const { return resources_.device->stream(); }
  // Waits for the stream; past the time limit aborts NCCL and throws.
  void wait(const char* op, const std::string& peers);
  void abort_nccl() noexcept;
  const std::string& peer(int r) const;

  std::unique_ptr<Communicator> owned_host_;  // set for groups made by split()
  Communicator* host_;
  NcclResources resources_;
  std::shared_ptr<CommWatchdog> watchdog_;  // host-blocking NCCL calls
  NcclComm comm_ = nullptr;
  std::string group_text_;               // "ranks 0,1" (world ranks)
  std::vector<std::string> peer_text_;   // "rank 3", per rank of this group
  Scratch blocks_out_, blocks_in_;       // all_reduce_sum: [size, block] each
};

// Gives `job` NCCL communicators for the model's all-reduces (Job::set_model_groups), on
// `resources.device` (the shards' CUDA backend's DeviceApi): over the tensor group when tp > 1, over
// the stage when ep > 1; with ep = 1 the stage has the tensor group's ranks and shares its
// communicator. A group of one rank keeps its host communicator (nothing to sum). Collective over
// the job (every rank calls it; the NCCL unique ids go over the host groups). Throws Error (the
// failing NCCL call and rank) when NCCL fails to start on this rank.
void attach_nccl_groups(Job& job, const NcclResources& resources);

}  // namespace eaglerun
