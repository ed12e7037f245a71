#pragma once
// How the ranks of one job talk: point-to-point and collective operations on plain buffers.
// Implementations: SingleRankCommunicator (one process), MPI (mpi_communicator.cpp), NCCL on device
// buffers (nccl_communicator.h).
// The interface carries no MPI types. It is also core/'s ModelCollectives, so a Model shard sums
// its partial outputs through it.
//
// Blocking calls give up after a timeout (see the implementation) with an error naming the
// operation and the peer, so a dead or stuck rank ends the job instead of hanging it.
// Every call is counted (CommStats): the benchmark's communication time and bytes come from here.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model/collectives.h"

namespace eaglerun {

// What this rank spent on communication through one communicator.
//   bytes: payload bytes this rank sent: all_reduce 2 (p-1)/p of the buffer (the minimum for p
//   ranks), broadcast (root) the buffer, all_gather its own block, all_to_all the blocks for other
//   ranks, send the message.
struct CommStats {
  int64_t calls = 0;
  int64_t bytes = 0;
  double seconds = 0;  // wall time inside the calls (waiting for peers included)

  CommStats& operator+=(const CommStats& o);
};

class Communicator : public ModelCollectives {
 public:
  ~Communicator() override = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // This group's rank r as a rank of the whole job (for messages).
  virtual int world_rank(int r) const = 0;

  // data[count] <- sum over ranks, identical bits on every rank. Deterministic: every element is
  // summed in rank order (((r0 + r1) + r2) ...) whatever count is, so a row of a many-row call
  // has the bits it has alone (MPI_Allreduce picks its algorithm, hence its order, by size; that
  // would break lossless verification). Reduce-scatter by all_to_all, sum, then all_gather:
  // 2 (p-1)/p x count floats sent per rank, as a ring all-reduce. Counted as one call of that many
  // bytes whatever the implementation (do_all_reduce_sum).
  void all_reduce_sum(float* data, int64_t count) final;
  // recv[size() * bytes] <- every rank's send[bytes], in rank order.
  void all_gather(const void* send, std::size_t bytes, void* recv);
  // data[bytes] <- root's data[bytes].
  void broadcast(void* data, std::size_t bytes, int root);
  void send(const void* data, std::size_t bytes, int dest, int tag);
  void recv(void* data, std::size_t bytes, int source, int tag);
  // send, recv: [size() * bytes]; block r of send goes to rank r, block r of recv came from rank r.
  void all_to_all(const void* send, std::size_t bytes, void* recv);
  void barrier();

  // The ranks with the same color form a new group, ordered by key then rank. Every rank calls it.
  virtual std::unique_ptr<Communicator> split(int color, int key) = 0;

  // Prints "eaglerun: rank R: error: <message>" and ends every rank of the job with `code`.
  [[noreturn]] virtual void abort(const std::string& message, int code) = 0;

  const CommStats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }

 protected:
  virtual void do_all_gather(const void* send, std::size_t bytes, void* recv) = 0;
  virtual void do_broadcast(void* data, std::size_t bytes, int root) = 0;
  virtual void do_send(const void* data, std::size_t bytes, int dest, int tag) = 0;
  virtual void do_recv(void* data, std::size_t bytes, int source, int tag) = 0;
  virtual void do_all_to_all(const void* send, std::size_t bytes, void* recv) = 0;
  virtual void do_barrier() = 0;
  // The sum itself, for all_reduce_sum (which counts it): count > 0, size() > 1. This default runs
  // the reduce-scatter / all-gather above on host memory through do_all_to_all and do_all_gather;
  // a communicator on device buffers replaces it (the NCCL one). Calls inside it go to the do_*
  // methods, not the counted public ones, so the stats hold one call.
  virtual void do_all_reduce_sum(float* data, int64_t count);

 private:
  class Timer;
  CommStats stats_;
  std::vector<float> reduce_send_, reduce_recv_;  // all_reduce_sum's blocks [size, block]
};

// Typed helpers. T must be trivially copyable.
template <class T>
void broadcast_vector(Communicator& c, std::vector<T>& v, int root) {
  uint64_t n = v.size();
  c.broadcast(&n, sizeof n, root);
  v.resize(n);
  if (n > 0) c.broadcast(v.data(), n * sizeof(T), root);
}

template <class T>
void broadcast_value(Communicator& c, T& value, int root) {
  c.broadcast(&value, sizeof(T), root);
}

}  // namespace eaglerun
