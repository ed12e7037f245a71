#pragma once
// NcclApi on MPI and host memory, for tests without a GPU: each call does with MPI, on host memory
// standing in for device memory, what NCCL does on GPUs (all_gather's rank-order layout and in-place
// form, broadcast from a root, grouped send/recv that progress together, messages between two
// ranks matched in order), and refuses what NCCL refuses (a peer or root outside the communicator,
// a null buffer, group_end without group_start, a destroyed communicator).
// It also refuses what NCCL cannot see and would turn into a hang or an overrun: ranks passing
// different sizes to one collective, a send and its recv of different sizes. Every rank of the call
// sees the refusal (the sizes are exchanged first), so a test can go on after it.
//
// Where it differs from NCCL, on purpose:
//   - calls run to completion before they return (`finished` is always true; the stream is
//     ignored), as the emulated kernels do;
//   - init_rank is an MPI_Comm_split of MPI_COMM_WORLD: every process of the job calls it at the same
//     point (as Communicator::split requires of every rank anyway);
//   - collectives inside a group are refused (NcclCommunicator groups only send/recv);
//   - abort forgets the communicator without freeing its MPI communicator (MPI_Comm_free is
//     collective; an aborting rank is alone).
// MPI must be initialised (mpi_world()) before the first call.
#include <mpi.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "parallel/nccl_api.h"

namespace eaglerun::test {

class MpiNcclApi final : public NcclApi {
 public:
  MpiNcclApi();

  NcclUniqueId get_unique_id() override;
  NcclComm init_rank(const NcclUniqueId& id, int size, int rank) override;
  void destroy(NcclComm comm) override;
  void abort(NcclComm comm) noexcept override;
  void all_gather(const void* send, void* recv, std::size_t bytes, NcclComm comm, cudaStream_t stream) override;
  void broadcast(const void* send, void* recv, std::size_t bytes, int root, NcclComm comm,
                 cudaStream_t stream) override;
  void send(const void* data, std::size_t bytes, int peer, NcclComm comm, cudaStream_t stream) override;
  void recv(void* data, std::size_t bytes, int peer, NcclComm comm, cudaStream_t stream) override;
  void group_start() override;
  void group_end() override;
  bool finished(NcclComm comm, cudaStream_t stream) override;

 private:
  struct Comm {
    MPI_Comm mpi;
    int rank, size;
  };
  // One send or recv of a group, posted at the outermost group_end.
  struct PointToPoint {
    bool is_send;
    void* data;  // const for a send
    std::size_t bytes;
    int peer;
    Comm* comm;
  };

  Comm& live(NcclComm comm, const char* call) const;
  void check_peer(const Comm& c, int peer, const char* call) const;
  void check_buffer(const void* p, std::size_t bytes, const char* call) const;
  void require_no_group(const char* call) const;
  // Every rank of c passed the same `values` (sizes, root); throws on every rank otherwise.
  void agree(const Comm& c, const std::vector<uint64_t>& values, const char* call, const char* what) const;
  void group_end_now();  // runs the pending sends and receives
  void run(const std::vector<PointToPoint>& ops);
  [[noreturn]] void refuse(const char* call, const std::string& why) const;

  int world_rank_ = 0;
  int ids_made_ = 0;
  int group_depth_ = 0;
  std::vector<PointToPoint> pending_;
  std::set<const Comm*> live_;
};

}  // namespace eaglerun::test
