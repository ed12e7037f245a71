// NcclApi over libnccl: each method is one NCCL call (cudaStreamQuery for `finished`); a failing call
// throws Error "NCCL <call> failed on rank R: <NCCL error> (<NCCL's last error>)", one line.
#include <nccl.h>

#include <cstring>
#include <string>

#include "core/error.h"
#include "parallel/nccl_api.h"

namespace eaglerun {
namespace {

static_assert(sizeof(NcclUniqueId::bytes) == sizeof(ncclUniqueId), "NcclUniqueId must hold an ncclUniqueId");

ncclComm_t native(NcclComm comm) { return reinterpret_cast<ncclComm_t>(comm); }

// NCCL's messages may span lines; the project's errors are one line.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

class LibncclApi final : public NcclApi {
 public:
  explicit LibncclApi(int world_rank) : rank_(world_rank) {}

  NcclUniqueId get_unique_id() override {
    ncclUniqueId native_id;
    check(ncclGetUniqueId(&native_id), "ncclGetUniqueId", nullptr);
    NcclUniqueId id;
    std::memcpy(id.bytes.data(), &native_id, sizeof native_id);
    return id;
  }

  NcclComm init_rank(const NcclUniqueId& id, int size, int rank) override {
    ncclUniqueId native_id;
    std::memcpy(&native_id, id.bytes.data(), sizeof native_id);
    ncclComm_t comm = nullptr;
    check(ncclCommInitRank(&comm, size, native_id, rank),
          ("ncclCommInitRank (rank " + std::to_string(rank) + " of " + std::to_string(size) + ")").c_str(), nullptr);
    return reinterpret_cast<NcclComm>(comm);
  }

  void destroy(NcclComm comm) override { check(ncclCommDestroy(native(comm)), "ncclCommDestroy", comm); }
  void abort(NcclComm comm) noexcept override { ncclCommAbort(native(comm)); }

  void all_gather(const void* send, void* recv, std::size_t bytes, NcclComm comm, cudaStream_t stream) override {
    check(ncclAllGather(send, recv, bytes, ncclUint8, native(comm), stream), "ncclAllGather", comm);
  }
  void broadcast(const void* send, void* recv, std::size_t bytes, int root, NcclComm comm,
                 cudaStream_t stream) override {
    check(ncclBroadcast(send, recv, bytes, ncclUint8, root, native(comm), stream), "ncclBroadcast", comm);
  }
  void send(const void* data, std::size_t bytes, int peer, NcclComm comm, cudaStream_t stream) override {
    check(ncclSend(data, bytes, ncclUint8, peer, native(comm), stream), "ncclSend", comm);
  }
  void recv(void* data, std::size_t bytes, int peer, NcclComm comm, cudaStream_t stream) override {
    check(ncclRecv(data, bytes, ncclUint8, peer, native(comm), stream), "ncclRecv", comm);
  }
  void group_start() override { check(ncclGroupStart(), "ncclGroupStart", nullptr); }
  void group_end() override { check(ncclGroupEnd(), "ncclGroupEnd", nullptr); }

  bool finished(NcclComm comm, cudaStream_t stream) override {
    ncclResult_t async = ncclSuccess;
    check(ncclCommGetAsyncError(native(comm), &async), "ncclCommGetAsyncError", comm);
    if (async != ncclSuccess && async != ncclInProgress) check(async, "an operation (asynchronous error)", comm);
    const cudaError_t status = cudaStreamQuery(stream);
    if (status == cudaErrorNotReady) return false;
    if (status == cudaSuccess) return true;
    cudaGetLastError();
    throw Error("cudaStreamQuery failed on rank " + std::to_string(rank_) + " while waiting for NCCL: " +
                cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
  }

 private:
  void check(ncclResult_t result, const char* call, NcclComm comm) const {
    if (result == ncclSuccess) return;
    const char* detail = ncclGetLastError(comm ? native(comm) : nullptr);
    throw Error(one_line("NCCL " + std::string(call) + " failed on rank " + std::to_string(rank_) + ": " +
                         ncclGetErrorString(result) + (detail && *detail ? " (" + std::string(detail) + ")" : "")));
  }

  int rank_;
};

}  // namespace

std::unique_ptr<NcclApi> make_libnccl_api(int world_rank) { return std::make_unique<LibncclApi>(world_rank); }

}  // namespace eaglerun
