#include "parallel/nccl_communicator.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "core/backend/cuda/kernels.h"
#include "core/error.h"

namespace eaglerun {
namespace {

std::string ranks_text(const Communicator& c) {
  std::string s = c.size() == 1 ? "rank " : "ranks ";
  for (int r = 0; r < c.size(); ++r) s.append(r ? "," : "").append(std::to_string(c.world_rank(r)));
  return s;
}

char* bytes_at(void* p, std::size_t offset) { return static_cast<char*>(p) + offset; }
const char* bytes_at(const void* p, std::size_t offset) { return static_cast<const char*>(p) + offset; }

// Checks in with the watchdog for one host-blocking NCCL call.
class Watch {
 public:
  Watch(CommWatchdog& dog, const char* op, const std::string& peers) : dog_(dog) { dog_.begin(op, &peers); }
  ~Watch() { dog_.end(); }

 private:
  CommWatchdog& dog_;
};

}  // namespace

NcclCommunicator::Scratch::~Scratch() {
  if (data_ != nullptr) device_.free(data_);
}

float* NcclCommunicator::Scratch::floats(int64_t n) {
  const int64_t bytes = n * static_cast<int64_t>(sizeof(float));
  if (bytes > bytes_) {
    if (data_ != nullptr) device_.free(data_);
    data_ = nullptr;
    data_ = device_.malloc(bytes);
    bytes_ = bytes;
  }
  return static_cast<float*>(data_);
}

NcclCommunicator::NcclCommunicator(Communicator& host, NcclResources resources)
    : host_(&host),
      resources_(std::move(resources)),
      watchdog_(std::make_shared<CommWatchdog>(host.world_rank(host.rank()), resources_.timeout_seconds)),
      blocks_out_(*resources_.device),
      blocks_in_(*resources_.device) {
  join();
}

NcclCommunicator::NcclCommunicator(std::unique_ptr<Communicator> owned_host, NcclResources resources,
                                   std::shared_ptr<CommWatchdog> watchdog)
    : owned_host_(std::move(owned_host)),
      host_(owned_host_.get()),
      resources_(std::move(resources)),
      watchdog_(std::move(watchdog)),
      blocks_out_(*resources_.device),
      blocks_in_(*resources_.device) {
  join();
}

void NcclCommunicator::join() {
  require(resources_.nccl && resources_.device, "NcclCommunicator needs an NcclApi and a DeviceApi");
  group_text_ = ranks_text(*host_);
  for (int r = 0; r < size(); ++r) peer_text_.push_back("rank " + std::to_string(world_rank(r)));
  NcclUniqueId id;
  if (rank() == 0) id = resources_.nccl->get_unique_id();
  broadcast_value(*host_, id, 0);
  const Watch w(*watchdog_, "ncclCommInitRank", group_text_);
  comm_ = resources_.nccl->init_rank(id, size(), rank());
}

NcclCommunicator::~NcclCommunicator() {
  if (comm_ == nullptr) return;
  try {
    resources_.nccl->destroy(comm_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eaglerun: warning: %s\n", e.what());
  }
}

NcclComm NcclCommunicator::live_comm() const {
  require(comm_ != nullptr, "the NCCL communicator of " + group_text_ + " was aborted after an earlier error");
  return comm_;
}

const std::string& NcclCommunicator::peer(int r) const {
  require(r >= 0 && r < size(), "rank " + std::to_string(r) + " is outside a group of " + std::to_string(size()));
  return peer_text_[static_cast<std::size_t>(r)];
}

void NcclCommunicator::abort_nccl() noexcept {
  if (comm_ != nullptr) resources_.nccl->abort(comm_);
  comm_ = nullptr;
}

void NcclCommunicator::wait(const char* op, const std::string& peers) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  for (int polls = 0;; ++polls) {
    bool done = false;
    try {
      done = resources_.nccl->finished(live_comm(), stream());
    } catch (...) {
      abort_nccl();  // an asynchronous NCCL error leaves the communicator unusable
      throw;
    }
    if (done) return;
    const double waited = std::chrono::duration<double>(clock::now() - start).count();
    if (resources_.timeout_seconds > 0 && waited > resources_.timeout_seconds) {
      abort_nccl();
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.1f", waited);
      throw Error("NCCL " + std::string(op) + " with " + peers + " made no progress for " + seconds +
                  " s on rank " + std::to_string(world_rank(rank())) +
                  " (a rank died or is stuck; EAGLERUN_COMM_TIMEOUT sets the limit); NCCL communicator aborted");
    }
    if (polls < 1000) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
}

void NcclCommunicator::do_all_reduce_sum(float* data, int64_t count) {
  const int64_t p = size();
  const int64_t block = (count + p - 1) / p;  // rank r sums elements [r * block, (r + 1) * block)
  float* out = blocks_out_.floats(p * block);
  float* in = blocks_in_.floats(p * block);
  DeviceApi& device = *resources_.device;
  device.copy(out, data, count * static_cast<int64_t>(sizeof(float)));
  if (p * block > count) device.zero(out + count, (p * block - count) * static_cast<int64_t>(sizeof(float)));  // x + 0 is x
  const auto block_bytes = static_cast<std::size_t>(block) * sizeof(float);
  do_all_to_all(out, block_bytes, in);  // in: block rank() of every rank, in rank order
  float* mine = out + rank() * block;  // already sent: free to hold this rank's sum
  cuda::sum_blocks(in, p, block, mine, stream());
  do_all_gather(mine, block_bytes, in);
  device.copy(data, in, count * static_cast<int64_t>(sizeof(float)));
}

void NcclCommunicator::do_all_gather(const void* send, std::size_t bytes, void* recv) {
  if (bytes == 0) return;
  {
    const Watch w(*watchdog_, "all_gather", group_text_);
    resources_.nccl->all_gather(send, recv, bytes, live_comm(), stream());
  }
  wait("all_gather", group_text_);
}

void NcclCommunicator::do_broadcast(void* data, std::size_t bytes, int root) {
  if (bytes == 0) return;
  {
    const Watch w(*watchdog_, "broadcast", peer(root));
    resources_.nccl->broadcast(data, data, bytes, root, live_comm(), stream());
  }
  wait("broadcast", peer(root));
}

void NcclCommunicator::do_send(const void* data, std::size_t bytes, int dest, int /*tag: NCCL has none*/) {
  if (bytes == 0) return;
  {
    const Watch w(*watchdog_, "send", peer(dest));
    resources_.nccl->send(data, bytes, dest, live_comm(), stream());
  }
  wait("send", peer(dest));
}

void NcclCommunicator::do_recv(void* data, std::size_t bytes, int source, int /*tag*/) {
  if (bytes == 0) return;
  {
    const Watch w(*watchdog_, "recv", peer(source));
    resources_.nccl->recv(data, bytes, source, live_comm(), stream());
  }
  wait("recv", peer(source));
}

void NcclCommunicator::do_all_to_all(const void* send, std::size_t bytes, void* recv) {
  if (bytes == 0) return;
  const int me = rank();
  const std::size_t mine = static_cast<std::size_t>(me) * bytes;
  resources_.device->copy(bytes_at(recv, mine), bytes_at(send, mine), static_cast<int64_t>(bytes));
  if (size() == 1) return;
  {
    const Watch w(*watchdog_, "all_to_all", group_text_);
    NcclApi& nccl = *resources_.nccl;
    const NcclComm comm = live_comm();
    // One group: every send and receive progresses together. (Should a call inside it throw, the
    // group is left open; NCCL has no way to cancel one, and the communicator is unusable anyway.)
    nccl.group_start();
    for (int r = 0; r < size(); ++r) {
      if (r == me) continue;
      const std::size_t at = static_cast<std::size_t>(r) * bytes;
      nccl.send(bytes_at(send, at), bytes, r, comm, stream());
      nccl.recv(bytes_at(recv, at), bytes, r, comm, stream());
    }
    nccl.group_end();
  }
  wait("all_to_all", group_text_);
}

void NcclCommunicator::do_barrier() {
  wait("barrier", group_text_);  // this rank's earlier NCCL work is done ...
  host_->barrier();              // ... and every other rank's
}

std::unique_ptr<Communicator> NcclCommunicator::split(int color, int key) {
  std::unique_ptr<Communicator> group = host_->split(color, key);
  return std::unique_ptr<Communicator>(new NcclCommunicator(std::move(group), resources_, watchdog_));
}

void NcclCommunicator::abort(const std::string& message, int code) {
  abort_nccl();
  host_->abort(message, code);
  std::_Exit(code);  // not reached: the host communicator's abort does not return
}

void attach_nccl_groups(Job& job, const NcclResources& resources) {
  const World& w = job.world();
  std::shared_ptr<Communicator> tensor, stage;
  if (w.tp > 1) tensor = std::make_shared<NcclCommunicator>(job.tensor(), resources);
  if (w.ep > 1) {
    stage = std::make_shared<NcclCommunicator>(job.stage(), resources);
  } else {
    stage = tensor;  // the stage is the tensor group (or one rank)
  }
  job.set_model_groups(std::move(tensor), std::move(stage));
}

}  // namespace eaglerun
