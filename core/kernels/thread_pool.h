#pragma once
// A fixed pool of worker threads for data-parallel loops. The calling thread takes part, so
// ThreadPool(1) runs everything inline. parallel_for blocks until every chunk is done.
#include <cstdint>
#include <functional>
#include <memory>

namespace eaglerun {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // n_threads >= 1
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;
  // Splits [0, n) into size() contiguous ranges (aligned to `grain`) and calls fn(begin, end) on each.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn, int64_t grain = 1);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace eaglerun
