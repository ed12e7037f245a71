#include "parallel/single_rank_communicator.h"

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "core/error.h"

namespace eaglerun {
namespace {

void require_self(int peer, const char* op) {
  require(peer == 0, std::string(op) + ": rank " + std::to_string(peer) + " does not exist in a one-rank job");
}

}  // namespace

std::unique_ptr<Communicator> SingleRankCommunicator::split(int, int) {
  return std::make_unique<SingleRankCommunicator>();
}

void SingleRankCommunicator::abort(const std::string& message, int code) {
  std::cerr << "eaglerun: rank 0: error: " << message << std::endl;
  std::exit(code);
}

void SingleRankCommunicator::do_all_gather(const void* send, std::size_t bytes, void* recv) {
  if (bytes > 0 && send != recv) std::memmove(recv, send, bytes);
}

void SingleRankCommunicator::do_broadcast(void*, std::size_t, int root) { require_self(root, "broadcast"); }

void SingleRankCommunicator::do_send(const void* data, std::size_t bytes, int dest, int tag) {
  require_self(dest, "send");
  const auto* p = static_cast<const std::byte*>(data);
  mailbox_.push_back({tag, std::vector<std::byte>(p, p + bytes)});
}

void SingleRankCommunicator::do_recv(void* data, std::size_t bytes, int source, int tag) {
  require_self(source, "recv");
  for (auto it = mailbox_.begin(); it != mailbox_.end(); ++it) {
    if (it->tag != tag) continue;
    require(it->data.size() == bytes, "recv: expected " + std::to_string(bytes) + " bytes, the message holds " +
                                          std::to_string(it->data.size()));
    if (bytes > 0) std::memcpy(data, it->data.data(), bytes);
    mailbox_.erase(it);
    return;
  }
  throw Error("recv with tag " + std::to_string(tag) + " from rank 0 (itself): nothing was sent, it would block forever");
}

void SingleRankCommunicator::do_all_to_all(const void* send, std::size_t bytes, void* recv) {
  do_all_gather(send, bytes, recv);
}

}  // namespace eaglerun
