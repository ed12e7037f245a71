#include "tests/parallel/mpi_nccl_api.h"

#include <climits>
#include <cstring>
#include <memory>
#include <string>

#include "core/error.h"

namespace eaglerun::test {
namespace {

constexpr char kIdMagic[] = "mpi-nccl-stand-in";
constexpr int kSendSizeTag = 1, kRecvSizeTag = 2, kDataTag = 3;

void check_mpi(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw Error(std::string("stand-in NCCL: ") + call + " failed: " + std::string(text, static_cast<std::size_t>(len)));
}

int to_int(std::size_t bytes) {
  require(bytes <= static_cast<std::size_t>(INT_MAX), "stand-in NCCL: messages over 2 GiB are not emulated");
  return static_cast<int>(bytes);
}

}  // namespace

MpiNcclApi::MpiNcclApi() { MPI_Comm_rank(MPI_COMM_WORLD, &world_rank_); }

void MpiNcclApi::refuse(const char* call, const std::string& why) const {
  throw Error("NCCL " + std::string(call) + " failed on rank " + std::to_string(world_rank_) + ": " + why +
              " (MPI stand-in)");
}

MpiNcclApi::Comm& MpiNcclApi::live(NcclComm comm, const char* call) const {
  auto* c = reinterpret_cast<Comm*>(comm);
  if (live_.count(c) == 0) refuse(call, "invalid argument: not a live communicator (destroyed or aborted)");
  return *c;
}

void MpiNcclApi::check_peer(const Comm& c, int peer, const char* call) const {
  if (peer < 0 || peer >= c.size) {
    refuse(call, "invalid argument: rank " + std::to_string(peer) + " outside a communicator of " +
                     std::to_string(c.size));
  }
}

void MpiNcclApi::check_buffer(const void* p, std::size_t bytes, const char* call) const {
  if (p == nullptr && bytes > 0) refuse(call, "invalid argument: null buffer");
}

void MpiNcclApi::require_no_group(const char* call) const {
  if (group_depth_ > 0) refuse(call, "collectives inside a group are not emulated");
}

void MpiNcclApi::agree(const Comm& c, const std::vector<uint64_t>& values, const char* call, const char* what) const {
  const int n = static_cast<int>(values.size());
  std::vector<uint64_t> every(values.size() * static_cast<std::size_t>(c.size));
  check_mpi(MPI_Allgather(values.data(), n, MPI_UINT64_T, every.data(), n, MPI_UINT64_T, c.mpi), "MPI_Allgather");
  for (int r = 0; r < c.size; ++r) {
    if (std::memcmp(every.data() + r * n, values.data(), values.size() * sizeof(uint64_t)) == 0) continue;
    std::string seen;
    for (int q = 0; q < c.size; ++q) {
      seen.append(q ? ", rank " : "rank ").append(std::to_string(q)).append(": ");
      for (int i = 0; i < n; ++i) seen.append(i ? "/" : "").append(std::to_string(every[q * n + i]));
    }
    refuse(call, std::string("ranks passed different ") + what + " (" + seen +
                     "); NCCL would hang or overrun a buffer");
  }
}

NcclUniqueId MpiNcclApi::get_unique_id() {
  // The MPI_Comm_split color of the new communicator: the maker's world rank and serial number.
  NcclUniqueId id;
  const int color = world_rank_ * 4096 + ids_made_++ % 4096;
  std::memcpy(id.bytes.data(), kIdMagic, sizeof kIdMagic);
  std::memcpy(id.bytes.data() + sizeof kIdMagic, &color, sizeof color);
  return id;
}

NcclComm MpiNcclApi::init_rank(const NcclUniqueId& id, int size, int rank) {
  if (std::memcmp(id.bytes.data(), kIdMagic, sizeof kIdMagic) != 0) {
    refuse("ncclCommInitRank", "invalid argument: not a unique id from get_unique_id");
  }
  if (size < 1 || rank < 0 || rank >= size) {
    refuse("ncclCommInitRank", "invalid argument: rank " + std::to_string(rank) + " of " + std::to_string(size));
  }
  int color = 0;
  std::memcpy(&color, id.bytes.data() + sizeof kIdMagic, sizeof color);
  auto c = std::make_unique<Comm>(Comm{MPI_COMM_NULL, rank, size});
  check_mpi(MPI_Comm_split(MPI_COMM_WORLD, color, rank, &c->mpi), "MPI_Comm_split");
  MPI_Comm_set_errhandler(c->mpi, MPI_ERRORS_RETURN);
  int mpi_size = 0, mpi_rank = 0;
  MPI_Comm_size(c->mpi, &mpi_size);
  MPI_Comm_rank(c->mpi, &mpi_rank);
  // Every rank that joined must agree on the size, and the ranks must be 0 .. size-1 once each.
  Comm probe{c->mpi, mpi_rank, mpi_size};
  try {
    agree(probe, {static_cast<uint64_t>(size)}, "ncclCommInitRank", "sizes");
    if (mpi_size != size || mpi_rank != rank) {
      refuse("ncclCommInitRank", std::to_string(mpi_size) + " ranks joined with rank numbers that are not 0 .. " +
                                     std::to_string(size - 1));
    }
  } catch (...) {
    MPI_Comm_free(&c->mpi);
    throw;
  }
  live_.insert(c.get());
  return reinterpret_cast<NcclComm>(c.release());
}

void MpiNcclApi::destroy(NcclComm comm) {
  Comm& c = live(comm, "ncclCommDestroy");
  live_.erase(&c);
  MPI_Comm_free(&c.mpi);
  delete &c;
}

void MpiNcclApi::abort(NcclComm comm) noexcept {
  auto* c = reinterpret_cast<Comm*>(comm);
  if (live_.erase(c) == 0) return;
  delete c;  // its MPI communicator is left to MPI_Finalize
}

void MpiNcclApi::all_gather(const void* send, void* recv, std::size_t bytes, NcclComm comm, cudaStream_t) {
  const char* call = "ncclAllGather";
  Comm& c = live(comm, call);
  require_no_group(call);
  check_buffer(send, bytes, call);
  check_buffer(recv, bytes, call);
  agree(c, {bytes}, call, "sizes");
  const bool in_place = send == static_cast<const char*>(recv) + static_cast<std::size_t>(c.rank) * bytes;
  check_mpi(MPI_Allgather(in_place ? MPI_IN_PLACE : send, to_int(bytes), MPI_BYTE, recv, to_int(bytes), MPI_BYTE,
                          c.mpi),
            "MPI_Allgather");
}

void MpiNcclApi::broadcast(const void* send, void* recv, std::size_t bytes, int root, NcclComm comm, cudaStream_t) {
  const char* call = "ncclBroadcast";
  Comm& c = live(comm, call);
  require_no_group(call);
  check_peer(c, root, call);
  if (c.rank == root) check_buffer(send, bytes, call);
  check_buffer(recv, bytes, call);
  agree(c, {bytes, static_cast<uint64_t>(root)}, call, "sizes/roots");
  if (c.rank == root && send != recv) std::memmove(recv, send, bytes);
  check_mpi(MPI_Bcast(recv, to_int(bytes), MPI_BYTE, root, c.mpi), "MPI_Bcast");
}

void MpiNcclApi::send(const void* data, std::size_t bytes, int peer, NcclComm comm, cudaStream_t) {
  Comm& c = live(comm, "ncclSend");
  check_peer(c, peer, "ncclSend");
  check_buffer(data, bytes, "ncclSend");
  pending_.push_back({true, const_cast<void*>(data), bytes, peer, &c});
  if (group_depth_ == 0) group_end_now();
}

void MpiNcclApi::recv(void* data, std::size_t bytes, int peer, NcclComm comm, cudaStream_t) {
  Comm& c = live(comm, "ncclRecv");
  check_peer(c, peer, "ncclRecv");
  check_buffer(data, bytes, "ncclRecv");
  pending_.push_back({false, data, bytes, peer, &c});
  if (group_depth_ == 0) group_end_now();
}

void MpiNcclApi::group_start() { ++group_depth_; }

void MpiNcclApi::group_end() {
  if (group_depth_ == 0) refuse("ncclGroupEnd", "invalid usage: no ncclGroupStart before it");
  if (--group_depth_ == 0) group_end_now();
}

void MpiNcclApi::group_end_now() {
  std::vector<PointToPoint> ops;
  ops.swap(pending_);
  run(ops);
}

bool MpiNcclApi::finished(NcclComm comm, cudaStream_t) {
  live(comm, "ncclCommGetAsyncError");
  return true;
}

// Two rounds, every request posted before any is waited for (so no order of the group deadlocks):
// first each side tells the other its size (a send its bytes, a recv the bytes it expects), and both
// refuse a mismatch; then the data.
void MpiNcclApi::run(const std::vector<PointToPoint>& ops) {
  std::vector<uint64_t> mine(ops.size()), theirs(ops.size());
  std::vector<MPI_Request> requests;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const PointToPoint& op = ops[i];
    mine[i] = op.bytes;
    const int my_tag = op.is_send ? kSendSizeTag : kRecvSizeTag, their_tag = op.is_send ? kRecvSizeTag : kSendSizeTag;
    requests.emplace_back();
    check_mpi(MPI_Isend(&mine[i], 1, MPI_UINT64_T, op.peer, my_tag, op.comm->mpi, &requests.back()), "MPI_Isend");
    requests.emplace_back();
    check_mpi(MPI_Irecv(&theirs[i], 1, MPI_UINT64_T, op.peer, their_tag, op.comm->mpi, &requests.back()),
              "MPI_Irecv");
  }
  check_mpi(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (mine[i] == theirs[i]) continue;
    const PointToPoint& op = ops[i];
    refuse(op.is_send ? "ncclSend" : "ncclRecv",
           std::string(op.is_send ? "sending " : "receiving ") + std::to_string(mine[i]) + " bytes " +
               (op.is_send ? "to" : "from") + " rank " + std::to_string(op.peer) + ", which " +
               (op.is_send ? "receives " : "sends ") + std::to_string(theirs[i]) +
               "; NCCL would hang or overrun a buffer");
  }
  requests.clear();
  for (const PointToPoint& op : ops) {
    requests.emplace_back();
    const int n = to_int(op.bytes);
    check_mpi(op.is_send ? MPI_Isend(op.data, n, MPI_BYTE, op.peer, kDataTag, op.comm->mpi, &requests.back())
                         : MPI_Irecv(op.data, n, MPI_BYTE, op.peer, kDataTag, op.comm->mpi, &requests.back()),
              op.is_send ? "MPI_Isend" : "MPI_Irecv");
  }
  check_mpi(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
}

}  // namespace eaglerun::test
