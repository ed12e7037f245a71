#pragma once
// A fixed pool of worker threads for data-parallel loops. The calling thread takes part, so
// ThreadPool(1) runs everything inline. parallel_for blocks until every chunk is done.
// Workers are persistent: they spin briefly after each loop (dispatch costs well under a
// microsecond while they do), then sleep on a futex. A range that no worker has started by the
// time the caller is done with its own is run by the caller, so a worker the OS has not scheduled
// delays nothing. One parallel_for runs at a time (calls from several threads are serialised); a
// parallel_for issued from inside fn runs inline. If fn throws, the other ranges still run to
// completion and the first exception is rethrown to the caller of parallel_for.
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
  // Splits [0, n) into size() contiguous ranges (aligned to `grain`) and calls fn(begin, end) once
  // on each non-empty one, possibly several on the same thread.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn, int64_t grain = 1);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace eaglerun
