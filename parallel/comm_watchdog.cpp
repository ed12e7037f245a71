#include "parallel/comm_watchdog.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

namespace eaglerun {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

CommWatchdog::CommWatchdog(int world_rank, double timeout_seconds) : rank_(world_rank), timeout_(timeout_seconds) {
  if (timeout_ > 0) thread_ = std::thread([this] { watch(); });
}

CommWatchdog::~CommWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CommWatchdog::begin(const char* op, const std::string* peers) {
  op_.store(op, std::memory_order_relaxed);
  peers_.store(peers, std::memory_order_relaxed);
  started_ns_.store(now_ns(), std::memory_order_release);
}

void CommWatchdog::end() { started_ns_.store(0, std::memory_order_release); }

void CommWatchdog::watch() {
  const auto limit_ns = static_cast<int64_t>(timeout_ * 1e9);
  const auto tick = std::chrono::milliseconds(std::clamp<int64_t>(limit_ns / 4'000'000, 10, 500));
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, tick, [this] { return stop_; })) {
    const int64_t started = started_ns_.load(std::memory_order_acquire);
    if (started != 0 && now_ns() - started > limit_ns) expire(now_ns() - started);
  }
}

void CommWatchdog::expire(int64_t waited_ns) {
  const char* op = op_.load(std::memory_order_relaxed);
  const std::string* peers = peers_.load(std::memory_order_relaxed);
  std::fprintf(stderr,
               "eaglerun: rank %d: error: %s with %s made no progress for %.1f s (a rank died or is stuck; "
               "EAGLERUN_COMM_TIMEOUT sets the limit); ending the job\n",
               rank_, op ? op : "a call", peers ? peers->c_str() : "the other ranks", waited_ns / 1e9);
  std::fflush(stderr);
  std::_Exit(1);
}

double comm_timeout_from_env(double fallback) {
  const char* s = std::getenv("EAGLERUN_COMM_TIMEOUT");
  if (s == nullptr || *s == 0) return fallback;
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  require(end != s && *end == 0 && v >= 0, std::string("EAGLERUN_COMM_TIMEOUT must be seconds >= 0, not '") + s + "'");
  return v;
}

}  // namespace eaglerun
