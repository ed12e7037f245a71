#include "core/kernels/thread_pool.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/kernels/spin_wait.h"

namespace eaglerun {

using kernels::publish;
using kernels::wait_while_equal;

namespace {
// The pool whose range this thread is running, if any: a parallel_for issued from inside fn on
// the same pool runs inline instead of deadlocking.
thread_local const void* g_running_pool = nullptr;
}  // namespace

// Dispatch protocol (one job at a time, serialised by call_mutex). Job e has one range per thread;
// range i is free while slot[i] == 2e and claimed once a thread has moved it to 2e + 1.
//   caller:   writes the job, frees every slot for e, publishes epoch = e, runs range 0, then claims
//             and runs any range no worker has claimed yet (a worker the OS has not scheduled
//             costs nothing but parallelism), and waits until all ranges are done (`done` == e).
//   worker t: waits for a new epoch e, claims range t (then any other free range), runs it; the
//             thread that completes the last range publishes done = e.
// A worker that wakes after job e ended fails every claim (the slots moved on), so it never reads
// the parameters of a job it is not part of.
struct ThreadPool::Impl {
  int n_threads = 1;
  std::vector<std::thread> workers;
  std::mutex call_mutex;

  // The job; written before `epoch` is published, read only by the holder of a claimed range.
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n_items = 0;
  int64_t chunk = 0;  // items per range, a multiple of the grain
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::exception_ptr error;

  std::unique_ptr<std::atomic<uint32_t>[]> slot;  // [n_threads]
  alignas(64) std::atomic<uint32_t> epoch{0};
  alignas(64) std::atomic<int> ranges_left{0};
  alignas(64) std::atomic<uint32_t> done{0};
  std::atomic<int> epoch_sleepers{0};
  std::atomic<int> done_sleepers{0};

  bool claim(int i, uint32_t e) {
    uint32_t free = 2 * e;
    return slot[i].compare_exchange_strong(free, 2 * e + 1, std::memory_order_acq_rel);
  }

  void run_range(int i) {
    const int64_t begin = static_cast<int64_t>(i) * chunk;
    const int64_t end = begin + chunk < n_items ? begin + chunk : n_items;
    if (begin >= end) return;
    const void* outer = g_running_pool;
    g_running_pool = this;
    try {
      (*fn)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
    g_running_pool = outer;
  }

  // Claims and runs range `first`, then every other free range of job e.
  void take_part(int first, uint32_t e) {
    for (int k = 0; k < n_threads; ++k) {
      const int i = (first + k) % n_threads;
      if (!claim(i, e)) continue;
      run_range(i);
      if (ranges_left.fetch_sub(1, std::memory_order_acq_rel) == 1) publish(done, e, done_sleepers);
    }
  }

  void worker_loop(int t) {
    uint32_t seen = 0;
    for (;;) {
      seen = wait_while_equal(epoch, seen, epoch_sleepers);
      if (stop) return;
      take_part(t, seen);
    }
  }

  void dispatch(int64_t n, const std::function<void(int64_t, int64_t)>& f, int64_t grain) {
    const int64_t blocks = (n + grain - 1) / grain;
    const uint32_t e = epoch.load(std::memory_order_relaxed) + 1;
    fn = &f;
    n_items = n;
    chunk = (blocks + n_threads - 1) / n_threads * grain;
    error = nullptr;
    ranges_left.store(n_threads, std::memory_order_relaxed);
    for (int i = 0; i < n_threads; ++i) slot[i].store(2 * e, std::memory_order_relaxed);
    publish(epoch, e, epoch_sleepers);
    take_part(0, e);
    uint32_t d = done.load(std::memory_order_acquire);
    while (d != e) d = wait_while_equal(done, d, done_sleepers);
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
  }
};

ThreadPool::ThreadPool(int n_threads) : impl_(std::make_unique<Impl>()) {
  require(n_threads >= 1, "thread pool needs at least one thread, got " + std::to_string(n_threads));
  impl_->n_threads = n_threads;
  impl_->slot = std::make_unique<std::atomic<uint32_t>[]>(n_threads);
  for (int i = 0; i < n_threads; ++i) impl_->slot[i].store(1);  // claimed: nothing to take before job 1
  impl_->workers.reserve(n_threads - 1);
  for (int t = 1; t < n_threads; ++t) impl_->workers.emplace_back([this, t] { impl_->worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  impl_->stop = true;
  publish(impl_->epoch, impl_->epoch.load() + 1, impl_->epoch_sleepers);
  for (std::thread& w : impl_->workers) w.join();
}

int ThreadPool::size() const { return impl_->n_threads; }

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (impl_->n_threads == 1 || n <= grain || g_running_pool == impl_.get()) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  impl_->dispatch(n, fn, grain);
}

}  // namespace eaglerun
