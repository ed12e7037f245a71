#include "parallel/mpi_communicator.h"

#include <mpi.h>

#include <climits>
#include <iostream>
#include <vector>

#include "core/error.h"
#include "parallel/comm_watchdog.h"

namespace eaglerun {
namespace {

// MPI_Init ... MPI_Finalize, and the watchdog all communicators of the process share.
struct MpiRuntime {
  explicit MpiRuntime(double timeout) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
      throw Error("MPI_Init failed (is this process started by mpirun or srun --mpi=pmix?)");
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    watchdog = std::make_unique<CommWatchdog>(rank, timeout);
  }
  ~MpiRuntime() {
    watchdog.reset();
    MPI_Finalize();
  }
  std::unique_ptr<CommWatchdog> watchdog;
};

int to_int(std::size_t bytes, const char* op) {
  require(bytes <= static_cast<std::size_t>(INT_MAX), std::string(op) + ": messages over 2 GiB are not supported");
  return static_cast<int>(bytes);
}

std::string ranks_text(const std::vector<int>& ranks) {
  std::string s = ranks.size() == 1 ? "rank " : "ranks ";
  for (std::size_t i = 0; i < ranks.size(); ++i) s.append(i ? "," : "").append(std::to_string(ranks[i]));
  return s;
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(std::shared_ptr<MpiRuntime> runtime, MPI_Comm comm, bool owned)
      : runtime_(std::move(runtime)), comm_(comm), owned_(owned) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    world_ranks_.resize(static_cast<std::size_t>(size_));
    std::vector<int> local(world_ranks_.size());
    for (int r = 0; r < size_; ++r) local[r] = r;
    MPI_Group group, world;
    MPI_Comm_group(comm_, &group);
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    MPI_Group_translate_ranks(group, size_, local.data(), world, world_ranks_.data());
    MPI_Group_free(&group);
    MPI_Group_free(&world);
    group_text_ = ranks_text(world_ranks_);
    for (int r = 0; r < size_; ++r) peer_text_.push_back(ranks_text({world_ranks_[r]}));
  }
  ~MpiCommunicator() override {
    if (owned_) MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int world_rank(int r) const override { return world_ranks_.at(static_cast<std::size_t>(r)); }

  std::unique_ptr<Communicator> split(int color, int key) override {
    MPI_Comm sub;
    call(MPI_Comm_split(comm_, color, key, &sub), "split", nullptr);
    return std::make_unique<MpiCommunicator>(runtime_, sub, true);
  }

  void abort(const std::string& message, int code) override {
    std::cerr << "eaglerun: rank " << world_rank(rank_) << ": error: " << message << std::endl;
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 protected:
  void do_all_gather(const void* send, std::size_t bytes, void* recv) override {
    Watch w(*this, "all_gather", &group_text_);
    call(MPI_Allgather(send, to_int(bytes, "all_gather"), MPI_BYTE, recv, to_int(bytes, "all_gather"), MPI_BYTE, comm_),
         "all_gather", &group_text_);
  }
  void do_broadcast(void* data, std::size_t bytes, int root) override {
    Watch w(*this, "broadcast", &peer(root));
    call(MPI_Bcast(data, to_int(bytes, "broadcast"), MPI_BYTE, root, comm_), "broadcast", &peer(root));
  }
  void do_send(const void* data, std::size_t bytes, int dest, int tag) override {
    Watch w(*this, "send", &peer(dest));
    call(MPI_Send(data, to_int(bytes, "send"), MPI_BYTE, dest, tag, comm_), "send", &peer(dest));
  }
  void do_recv(void* data, std::size_t bytes, int source, int tag) override {
    Watch w(*this, "recv", &peer(source));
    MPI_Status status;
    call(MPI_Recv(data, to_int(bytes, "recv"), MPI_BYTE, source, tag, comm_, &status), "recv", &peer(source));
    int got = 0;
    MPI_Get_count(&status, MPI_BYTE, &got);
    require(got == static_cast<int>(bytes), "recv from " + peer(source) + ": expected " + std::to_string(bytes) +
                                                " bytes, got " + std::to_string(got));
  }
  void do_all_to_all(const void* send, std::size_t bytes, void* recv) override {
    Watch w(*this, "all_to_all", &group_text_);
    const int n = to_int(bytes, "all_to_all");
    call(MPI_Alltoall(send, n, MPI_BYTE, recv, n, MPI_BYTE, comm_), "all_to_all", &group_text_);
  }
  void do_barrier() override {
    Watch w(*this, "barrier", &group_text_);
    call(MPI_Barrier(comm_), "barrier", &group_text_);
  }

 private:
  // Checks in with the watchdog for the duration of one blocking call.
  struct Watch {
    Watch(MpiCommunicator& c, const char* op, const std::string* peers) : dog(*c.runtime_->watchdog) {
      dog.begin(op, peers);
    }
    ~Watch() { dog.end(); }
    CommWatchdog& dog;
  };

  const std::string& peer(int r) const {
    require(r >= 0 && r < size_, "rank " + std::to_string(r) + " is outside a group of " + std::to_string(size_));
    return peer_text_[static_cast<std::size_t>(r)];
  }

  void call(int rc, const char* op, const std::string* peers) const {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw Error(std::string("MPI ") + op + (peers ? " with " + *peers : "") + " failed: " + std::string(text, len));
  }

  std::shared_ptr<MpiRuntime> runtime_;
  MPI_Comm comm_;
  bool owned_;
  int rank_ = 0, size_ = 1;
  std::vector<int> world_ranks_;       // this group's ranks as ranks of MPI_COMM_WORLD
  std::string group_text_;             // "ranks 0,1"
  std::vector<std::string> peer_text_; // "rank 3", per group rank
};

}  // namespace

bool mpi_built() { return true; }

std::unique_ptr<Communicator> mpi_world(double timeout_seconds) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  require(!initialised, "mpi_world() may be called once per process");
  return std::make_unique<MpiCommunicator>(std::make_shared<MpiRuntime>(timeout_seconds), MPI_COMM_WORLD, false);
}

}  // namespace eaglerun
