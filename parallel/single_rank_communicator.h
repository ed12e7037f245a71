#pragma once
// The communicator of a job with one rank: collectives copy or do nothing; a send to itself is
// queued for the matching recv.
#include <deque>
#include <vector>

#include "parallel/communicator.h"

namespace eaglerun {

class SingleRankCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int world_rank(int r) const override { return r; }
  std::unique_ptr<Communicator> split(int color, int key) override;
  [[noreturn]] void abort(const std::string& message, int code) override;

 protected:
  void do_all_gather(const void* send, std::size_t bytes, void* recv) override;
  void do_broadcast(void*, std::size_t, int root) override;
  void do_send(const void* data, std::size_t bytes, int dest, int tag) override;
  void do_recv(void* data, std::size_t bytes, int source, int tag) override;
  void do_all_to_all(const void* send, std::size_t bytes, void* recv) override;
  void do_barrier() override {}

 private:
  struct Message {
    int tag;
    std::vector<std::byte> data;
  };
  std::deque<Message> mailbox_;
};

}  // namespace eaglerun
