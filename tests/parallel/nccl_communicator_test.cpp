// NcclCommunicator's own code (buffers, the order of its calls, the deterministic reduce) under
// mpirun without a GPU: NCCL is the MPI stand-in (mpi_nccl_api.h), device memory is host memory
// (tests/cuda/host_device_api.h) and cuda::sum_blocks is the emulated kernel.
// Every rank runs every test in the same order; the exit code is non-zero when any rank failed.
//   mpirun -np 2|3 nccl_communicator_check
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <iostream>
#include <random>
#include <vector>

#include "core/error.h"
#include "parallel/mpi_communicator.h"
#include "parallel/nccl_communicator.h"
#include "tests/cuda/host_device_api.h"
#include "tests/parallel/mpi_nccl_api.h"

namespace eaglerun {
namespace {

Communicator* g_world = nullptr;  // MPI_COMM_WORLD, from main()

// Floats over many binades and both signs: another order of additions rounds differently.
std::vector<float> spread_floats(int64_t n, uint32_t seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-20, 20);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = std::ldexp(mantissa(random), exponent(random));
  return v;
}

std::vector<uint32_t> bits(const std::vector<float>& v) {
  std::vector<uint32_t> b(v.size());
  std::memcpy(b.data(), v.data(), v.size() * sizeof(float));
  return b;
}

// An NcclCommunicator over the whole job on the stand-ins; checks that every device buffer went back.
// (Each test makes its own: NcclCommunicator's stats start at zero.)
class NcclCommunicatorTest : public ::testing::Test {
 protected:
  NcclCommunicatorTest() : device_(std::make_shared<test::HostDeviceApi>(&live_)) {}
  ~NcclCommunicatorTest() override {
    buffers_.clear();
    EXPECT_EQ(live_.load(), 0) << "device buffers not given back";
  }

  std::unique_ptr<NcclCommunicator> make(double timeout = 60, std::shared_ptr<NcclApi> nccl = nullptr) {
    if (!nccl) nccl = std::make_shared<test::MpiNcclApi>();
    return std::make_unique<NcclCommunicator>(*g_world, NcclResources{std::move(nccl), device_, timeout});
  }

  // A device copy of host floats, given back at the end of the test.
  float* to_device(const std::vector<float>& host) {
    auto* p = static_cast<float*>(device_->malloc(static_cast<int64_t>(host.size() * sizeof(float))));
    device_->upload(p, host.data(), static_cast<int64_t>(host.size() * sizeof(float)));
    buffers_.emplace_back(p, [this](void* q) { device_->free(q); });
    return p;
  }
  std::vector<float> to_host(const float* p, std::size_t n) {
    std::vector<float> host(n);
    device_->download(host.data(), p, static_cast<int64_t>(n * sizeof(float)));
    return host;
  }
  // all_reduce_sum through NCCL, on a device copy of `values`.
  std::vector<float> nccl_sum(NcclCommunicator& nccl, const std::vector<float>& values) {
    float* d = to_device(values);
    nccl.all_reduce_sum(d, static_cast<int64_t>(values.size()));
    return to_host(d, values.size());
  }

  std::atomic<int64_t> live_{0};
  std::shared_ptr<test::HostDeviceApi> device_;
  std::vector<std::unique_ptr<void, std::function<void(void*)>>> buffers_;
};

TEST_F(NcclCommunicatorTest, AllReduceSumHasTheMpiCommunicatorsBitsOnEveryRank) {
  auto nccl = make();
  const int p = g_world->size(), me = g_world->rank();
  for (const int64_t count : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}, int64_t{7}, int64_t{26 * 37},
                              int64_t{1001}}) {
    SCOPED_TRACE("count " + std::to_string(count));
    const std::vector<float> mine = spread_floats(count, static_cast<uint32_t>(1000 * me + count));
    const std::vector<float> got = nccl_sum(*nccl, mine);
    std::vector<float> mpi = mine;
    g_world->all_reduce_sum(mpi.data(), count);
    EXPECT_EQ(bits(got), bits(mpi)) << "NCCL vs MPI communicator";
    // The rank-order sum of every rank's values, on the host.
    std::vector<float> every(mine.size() * static_cast<std::size_t>(p));
    g_world->all_gather(mine.data(), mine.size() * sizeof(float), every.data());
    std::vector<float> expected(every.begin(), every.begin() + count);
    for (int r = 1; r < p; ++r) {
      for (int64_t i = 0; i < count; ++i) expected[i] += every[r * count + i];
    }
    EXPECT_EQ(bits(got), bits(expected)) << "NCCL vs the rank-order host loop";
    // The same bits on every rank.
    std::vector<float> results(every.size());
    g_world->all_gather(got.data(), got.size() * sizeof(float), results.data());
    for (int r = 1; r < p; ++r) {
      EXPECT_EQ(0, std::memcmp(results.data(), results.data() + r * count, count * sizeof(float))) << "rank " << r;
    }
  }
}

// bench's communication columns come from CommStats: an NCCL all-reduce counts as the MPI one does
// (one call, 2 (p-1) x block bytes), not as its two phases.
TEST_F(NcclCommunicatorTest, AllReduceSumIsCountedAsTheMpiCommunicatorCountsIt) {
  auto nccl = make();
  auto mpi = g_world->split(0, g_world->rank());  // fresh counters
  for (const int64_t count : {int64_t{1}, int64_t{7}, int64_t{26 * 37}}) {
    std::vector<float> values = spread_floats(count, static_cast<uint32_t>(count));
    nccl_sum(*nccl, values);
    mpi->all_reduce_sum(values.data(), count);
  }
  EXPECT_EQ(nccl->stats().calls, 3);
  EXPECT_EQ(nccl->stats().calls, mpi->stats().calls);
  EXPECT_EQ(nccl->stats().bytes, mpi->stats().bytes);
  EXPECT_GT(nccl->stats().seconds, 0.0);
  const int64_t p = g_world->size();
  int64_t expected = 0;
  for (const int64_t count : {int64_t{1}, int64_t{7}, int64_t{26 * 37}}) {
    expected += 2 * (p - 1) * ((count + p - 1) / p) * static_cast<int64_t>(sizeof(float));
  }
  EXPECT_EQ(nccl->stats().bytes, expected);
}

TEST_F(NcclCommunicatorTest, ARowOfAManyRowCallHasTheBitsItHasAlone) {
  auto nccl = make();
  constexpr int64_t rows = 26, hidden = 37;  // a 26-token tree, a hidden size no rank count divides
  const std::vector<float> all = spread_floats(rows * hidden, static_cast<uint32_t>(77 + g_world->rank()));
  const std::vector<float> together = nccl_sum(*nccl, all);
  for (const int64_t row : {int64_t{0}, int64_t{13}, rows - 1}) {
    const std::vector<float> alone_in(all.begin() + row * hidden, all.begin() + (row + 1) * hidden);
    const std::vector<float> alone = nccl_sum(*nccl, alone_in);
    const std::vector<float> in_tree(together.begin() + row * hidden, together.begin() + (row + 1) * hidden);
    EXPECT_EQ(bits(alone), bits(in_tree)) << "row " << row;
  }
}

TEST_F(NcclCommunicatorTest, AllGatherBroadcastAndAllToAllRoundTrip) {
  auto nccl = make();
  const int p = nccl->size(), me = nccl->rank();
  constexpr int64_t n = 5;
  // all_gather: block r from rank r.
  std::vector<float> block(n);
  for (int64_t i = 0; i < n; ++i) block[i] = static_cast<float>(100 * me + i);
  float* gathered = to_device(std::vector<float>(n * p, NAN));
  nccl->all_gather(to_device(block), n * sizeof(float), gathered);
  const std::vector<float> got = to_host(gathered, n * p);
  for (int r = 0; r < p; ++r) {
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(got[r * n + i], static_cast<float>(100 * r + i));
  }
  // broadcast from every root.
  for (int root = 0; root < p; ++root) {
    float* d = to_device(std::vector<float>(n, static_cast<float>(me)));
    nccl->broadcast(d, n * sizeof(float), root);
    EXPECT_EQ(to_host(d, n), std::vector<float>(n, static_cast<float>(root))) << "root " << root;
  }
  // all_to_all: block r of rank q's send is 10 q + r; rank me receives 10 q + me from each q.
  std::vector<float> send(n * p);
  for (int r = 0; r < p; ++r) std::fill(send.begin() + r * n, send.begin() + (r + 1) * n, float(10 * me + r));
  float* recv = to_device(std::vector<float>(n * p, NAN));
  nccl->all_to_all(to_device(send), n * sizeof(float), recv);
  const std::vector<float> received = to_host(recv, n * p);
  for (int q = 0; q < p; ++q) {
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(received[q * n + i], static_cast<float>(10 * q + me)) << "from " << q;
  }
}

TEST_F(NcclCommunicatorTest, SendAndRecvPassAMessageAroundTheRanks) {
  auto nccl = make();
  const int p = nccl->size(), me = nccl->rank();
  constexpr int64_t n = 9;
  // 0 -> 1 -> ... -> p-1 -> 0, each rank adding its number: no cycle of waiting sends.
  float* message = to_device(std::vector<float>(n, 0.0f));
  if (me != 0) nccl->recv(message, n * sizeof(float), me - 1, 0);
  std::vector<float> host = to_host(message, n);
  for (float& x : host) x += static_cast<float>(me + 1);
  device_->upload(message, host.data(), n * sizeof(float));
  nccl->send(message, n * sizeof(float), (me + 1) % p, 0);
  if (me == 0) {
    nccl->recv(message, n * sizeof(float), p - 1, 0);
    EXPECT_EQ(to_host(message, n), std::vector<float>(n, static_cast<float>(p * (p + 1) / 2)));
  }
  nccl->barrier();
}

TEST_F(NcclCommunicatorTest, SplitGroupsSumWithinTheirGroup) {
  auto nccl = make();
  const int me = nccl->rank(), p = nccl->size();
  auto group = nccl->split(me % 2, me);
  float expected = 0;
  int members = 0;
  for (int r = me % 2; r < p; r += 2, ++members) expected += static_cast<float>(r + 1);
  EXPECT_EQ(group->size(), members);
  EXPECT_EQ(group->world_rank(group->rank()), me);
  EXPECT_EQ(nccl_sum(dynamic_cast<NcclCommunicator&>(*group), std::vector<float>(3, float(me + 1))),
            std::vector<float>(3, expected));
}

TEST_F(NcclCommunicatorTest, TheStandInRefusesWhatNcclWouldRefuseOnEveryRank) {
  test::MpiNcclApi api;
  const int p = g_world->size(), me = g_world->rank();
  NcclUniqueId id;
  if (me == 0) id = api.get_unique_id();
  broadcast_value(*g_world, id, 0);
  const NcclComm comm = api.init_rank(id, p, me);
  std::vector<char> send(64, 1), recv(64 * p);
  // Ranks passing different sizes to one collective: every rank is told.
  try {
    api.all_gather(send.data(), recv.data(), 4 + 4 * static_cast<std::size_t>(me), comm, nullptr);
    ADD_FAILURE() << "a mismatched all_gather was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ncclAllGather"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("different sizes"), std::string::npos) << e.what();
  }
  // A send and its recv of different sizes (ranks 0 and 1): both are told.
  if (me < 2) {
    EXPECT_THROW(me == 0 ? api.send(send.data(), 8, 1, comm, nullptr) : api.recv(recv.data(), 4, 0, comm, nullptr),
                 Error);
  }
  EXPECT_THROW(api.broadcast(send.data(), recv.data(), 8, p, comm, nullptr), Error);  // root outside
  EXPECT_THROW(api.send(send.data(), 8, -1, comm, nullptr), Error);                    // peer outside
  EXPECT_THROW(api.group_end(), Error);                                                 // no group_start
  api.group_start();
  EXPECT_THROW(api.all_gather(send.data(), recv.data(), 8, comm, nullptr), Error);  // collective in a group
  api.group_end();
  // After the refusals the communicator still works.
  api.all_gather(send.data(), recv.data(), 8, comm, nullptr);
  api.destroy(comm);
  EXPECT_THROW(api.finished(comm, nullptr), Error);  // destroyed
}

// The stand-in, except that the stream never finishes (a peer that never comes) or, with
// `asynchronous_error`, that NCCL reports an error while it is waited for (a peer failed).
class StalledNccl final : public NcclApi {
 public:
  NcclUniqueId get_unique_id() override { return inner.get_unique_id(); }
  NcclComm init_rank(const NcclUniqueId& id, int size, int rank) override { return inner.init_rank(id, size, rank); }
  void destroy(NcclComm comm) override { inner.destroy(comm); }
  void abort(NcclComm comm) noexcept override {
    ++aborts;
    inner.abort(comm);
  }
  void all_gather(const void* s, void* r, std::size_t b, NcclComm c, cudaStream_t st) override {
    inner.all_gather(s, r, b, c, st);
  }
  void broadcast(const void* s, void* r, std::size_t b, int root, NcclComm c, cudaStream_t st) override {
    inner.broadcast(s, r, b, root, c, st);
  }
  void send(const void* d, std::size_t b, int peer, NcclComm c, cudaStream_t st) override { inner.send(d, b, peer, c, st); }
  void recv(void* d, std::size_t b, int peer, NcclComm c, cudaStream_t st) override { inner.recv(d, b, peer, c, st); }
  void group_start() override { inner.group_start(); }
  void group_end() override { inner.group_end(); }
  bool finished(NcclComm, cudaStream_t) override {
    if (asynchronous_error) throw Error("NCCL an operation (asynchronous error) failed on rank 0: remote process exited");
    return false;
  }

  test::MpiNcclApi inner;
  int aborts = 0;
  bool asynchronous_error = false;
};

TEST_F(NcclCommunicatorTest, AStreamThatNeverFinishesAbortsNcclAndNamesTheCall) {
  // 2 s: the same limit guards the host-blocking calls (init, the stand-in's transfers), whose
  // ranks may start apart on a loaded machine.
  auto stalled = std::make_shared<StalledNccl>();
  g_world->barrier();
  auto nccl = make(2.0, stalled);
  float* d = to_device(std::vector<float>(4 * nccl->size(), 0.0f));
  try {
    nccl->all_gather(to_device(std::vector<float>(4, 1.0f)), 4 * sizeof(float), d);
    ADD_FAILURE() << "no timeout";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("NCCL all_gather with ranks 0,1"), std::string::npos) << what;
    EXPECT_NE(what.find("made no progress"), std::string::npos) << what;
    EXPECT_NE(what.find("aborted"), std::string::npos) << what;
  }
  EXPECT_EQ(stalled->aborts, 1);
  try {
    nccl->broadcast(d, 4, 0);
    ADD_FAILURE() << "an aborted communicator was used";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("was aborted"), std::string::npos) << e.what();
  }
  g_world->barrier();
}

TEST_F(NcclCommunicatorTest, AnAsynchronousNcclErrorAbortsTheCommunicatorAndReachesTheCaller) {
  auto failing = std::make_shared<StalledNccl>();
  failing->asynchronous_error = true;
  auto nccl = make(60, failing);
  float* d = to_device(std::vector<float>(3, 1.0f));
  try {
    nccl->all_reduce_sum(d, 3);
    ADD_FAILURE() << "the error was lost";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("asynchronous error"), std::string::npos) << e.what();
  }
  EXPECT_EQ(failing->aborts, 1);
  EXPECT_THROW(nccl->barrier(), Error);  // aborted
  g_world->barrier();
}

// On ranks other than 0: only failed assertions, each line prefixed with the rank.
class FailurePrinter final : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::cerr << "rank " << rank_ << ": " << (result.file_name() ? result.file_name() : "") << ":"
              << result.line_number() << ": " << result.summary() << std::endl;
  }

 private:
  int rank_;
};

}  // namespace
}  // namespace eaglerun

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  auto world = eaglerun::mpi_world(60);
  eaglerun::g_world = world.get();
  if (world->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new eaglerun::FailurePrinter(world->rank()));
  }
  const int32_t mine = RUN_ALL_TESTS() == 0 ? 0 : 1;
  std::vector<int32_t> every(static_cast<std::size_t>(world->size()));
  world->all_gather(&mine, sizeof mine, every.data());
  int failed = 0;
  for (int32_t f : every) failed |= f;
  if (world->rank() == 0 && failed) std::cerr << "nccl_communicator_check: a rank failed" << std::endl;
  eaglerun::g_world = nullptr;
  world.reset();
  return failed;
}
