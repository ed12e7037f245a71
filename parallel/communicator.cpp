#include "parallel/communicator.h"

#include <algorithm>
#include <chrono>

namespace eaglerun {

CommStats& CommStats::operator+=(const CommStats& o) {
  calls += o.calls;
  bytes += o.bytes;
  seconds += o.seconds;
  return *this;
}

// Adds one call's bytes and wall time to the stats when it goes out of scope.
class Communicator::Timer {
 public:
  Timer(CommStats& stats, std::size_t bytes) : stats_(stats), start_(std::chrono::steady_clock::now()) {
    ++stats_.calls;
    stats_.bytes += static_cast<int64_t>(bytes);
  }
  ~Timer() { stats_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  CommStats& stats_;
  std::chrono::steady_clock::time_point start_;
};

void Communicator::all_reduce_sum(float* data, int64_t count) {
  const int64_t p = size();
  if (p == 1 || count == 0) return;
  const int64_t block = (count + p - 1) / p;  // rank r reduces elements [r * block, (r + 1) * block)
  Timer t(stats_, 2 * static_cast<std::size_t>(p - 1) * static_cast<std::size_t>(block) * sizeof(float));
  do_all_reduce_sum(data, count);
}

void Communicator::do_all_reduce_sum(float* data, int64_t count) {
  const int64_t p = size();
  const int64_t block = (count + p - 1) / p;
  const auto block_bytes = static_cast<std::size_t>(block) * sizeof(float);
  reduce_send_.resize(static_cast<std::size_t>(p * block));
  reduce_recv_.resize(reduce_send_.size());
  std::copy(data, data + count, reduce_send_.begin());
  std::fill(reduce_send_.begin() + count, reduce_send_.end(), 0.f);  // zero padding: x + 0 is x
  do_all_to_all(reduce_send_.data(), block_bytes, reduce_recv_.data());
  float* mine = reduce_send_.data();  // block r of every rank, summed in rank order
  std::copy(reduce_recv_.begin(), reduce_recv_.begin() + block, mine);
  for (int64_t r = 1; r < p; ++r) {
    const float* theirs = reduce_recv_.data() + r * block;
    for (int64_t i = 0; i < block; ++i) mine[i] += theirs[i];
  }
  do_all_gather(mine, block_bytes, reduce_recv_.data());
  std::copy(reduce_recv_.begin(), reduce_recv_.begin() + count, data);
}

void Communicator::all_gather(const void* send, std::size_t bytes, void* recv) {
  Timer t(stats_, size() > 1 ? bytes : 0);
  do_all_gather(send, bytes, recv);
}

void Communicator::broadcast(void* data, std::size_t bytes, int root) {
  if (size() == 1) return;
  Timer t(stats_, rank() == root ? bytes : 0);
  do_broadcast(data, bytes, root);
}

void Communicator::send(const void* data, std::size_t bytes, int dest, int tag) {
  Timer t(stats_, bytes);
  do_send(data, bytes, dest, tag);
}

void Communicator::recv(void* data, std::size_t bytes, int source, int tag) {
  Timer t(stats_, 0);
  do_recv(data, bytes, source, tag);
}

void Communicator::all_to_all(const void* send, std::size_t bytes, void* recv) {
  Timer t(stats_, bytes * static_cast<std::size_t>(size() - 1));
  do_all_to_all(send, bytes, recv);
}

void Communicator::barrier() {
  if (size() == 1) return;
  Timer t(stats_, 0);
  do_barrier();
}

}  // namespace eaglerun
