#include "core/kernels/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/error.h"

namespace eaglerun {
namespace {

// Every index of [0, n) is visited exactly once, in at most size() ranges aligned to the grain.
// `work` spins a little per index, so that workers get to take part.
void check_coverage(ThreadPool& pool, int64_t n, int64_t grain, int work = 0) {
  std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
  std::atomic<int> calls{0};
  pool.parallel_for(n, [&](int64_t begin, int64_t end) {
    EXPECT_LT(begin, end);
    EXPECT_EQ(begin % grain, 0) << "range start not aligned to the grain";
    calls.fetch_add(1);
    for (int64_t i = begin; i < end; ++i) {
      volatile int sink = 0;
      for (int w = 0; w < work; ++w) sink = sink + w;
      hits[i].fetch_add(1);
    }
  }, grain);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "index " << i << " n=" << n << " grain=" << grain;
  EXPECT_LE(calls.load(), pool.size());
}

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {1, 2, 3, 5, 7, 64, 100, 1001}) {
      for (int64_t grain : {1, 4, 16, 1000}) check_coverage(pool, n, grain);
    }
  }
}

// Many back-to-back loops: late workers, stolen ranges and reused slots must never lose or repeat
// an index.
TEST(ThreadPool, StressCoverage) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    for (int it = 0; it < 2000; ++it) check_coverage(pool, 1 + (it * 7919) % 97, 1 + it % 5, it % 3 == 0 ? 0 : 200);
  }
}

TEST(ThreadPool, EmptyRangeCallsNothing) {
  ThreadPool pool(2);
  bool called = false;
  pool.parallel_for(0, [&](int64_t, int64_t) { called = true; });
  EXPECT_FALSE(called);
}

// Range 0 (the caller's) waits for range 1, so a worker thread must run range 1.
TEST(ThreadPool, UsesWorkerThreads) {
  ThreadPool pool(2);
  std::atomic<bool> second_done{false};
  std::atomic<bool> on_other_thread{false};
  const auto caller = std::this_thread::get_id();
  pool.parallel_for(2, [&](int64_t begin, int64_t) {
    if (begin == 1) {
      on_other_thread = std::this_thread::get_id() != caller;
      second_done = true;
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!second_done && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  });
  EXPECT_TRUE(second_done.load());
  EXPECT_TRUE(on_other_thread.load());
}

TEST(ThreadPool, ManyQuickLoops) {
  ThreadPool pool(3);
  std::atomic<int64_t> sum{0};
  for (int it = 0; it < 2000; ++it) {
    pool.parallel_for(6, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) sum.fetch_add(i, std::memory_order_relaxed);
    });
  }
  EXPECT_EQ(sum.load(), 2000 * 15);
}

TEST(ThreadPool, WakesSleepingWorkers) {
  ThreadPool pool(3);
  for (int it = 0; it < 3; ++it) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // longer than the spin budget
    check_coverage(pool, 90, 1);
  }
}

TEST(ThreadPool, ExceptionInWorkerChunkReachesCaller) {
  ThreadPool pool(3);
  std::atomic<int> finished{0};
  EXPECT_THROW(pool.parallel_for(3, [&](int64_t begin, int64_t) {
    if (begin == 2) throw std::runtime_error("worker failed");
    finished.fetch_add(1);
  }), std::runtime_error);
  EXPECT_EQ(finished.load(), 2);  // the other chunks still ran
  check_coverage(pool, 50, 1);    // and the pool still works
}

TEST(ThreadPool, ExceptionInCallerChunkReachesCaller) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(2, [&](int64_t begin, int64_t) {
    if (begin == 0) throw Error("caller failed");
  }), Error);
  check_coverage(pool, 50, 1);
}

TEST(ThreadPool, ExceptionWithOneThread) {
  ThreadPool pool(1);
  EXPECT_THROW(pool.parallel_for(5, [&](int64_t, int64_t) { throw std::runtime_error("x"); }), std::runtime_error);
}

TEST(ThreadPool, NestedLoopRunsInline) {
  ThreadPool pool(2);
  std::vector<std::atomic<int>> hits(20);
  pool.parallel_for(4, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      pool.parallel_for(5, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) hits[i * 5 + j].fetch_add(1);
      });
    }
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPool, CallsFromSeveralThreadsAreSerialised) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([&] {
      for (int it = 0; it < 500; ++it) {
        pool.parallel_for(10, [&](int64_t b, int64_t e) { total.fetch_add(e - b); });
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(total.load(), 3 * 500 * 10);
}

TEST(ThreadPool, RejectsZeroThreads) { EXPECT_THROW(ThreadPool(0), Error); }

}  // namespace
}  // namespace eaglerun
