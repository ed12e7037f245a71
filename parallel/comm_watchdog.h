#pragma once
// Ends this process when one blocking communication call makes no progress for too long, so a
// dead or stopped peer ends the whole job (the launcher, mpirun or srun --kill-on-bad-exit, then
// stops the other ranks) instead of leaving it hanging. Calls only check in and out: two atomic
// stores each; a background thread watches the clock.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace eaglerun {

class CommWatchdog {
 public:
  // timeout_seconds <= 0 disables the watchdog.
  CommWatchdog(int world_rank, double timeout_seconds);
  ~CommWatchdog();
  CommWatchdog(const CommWatchdog&) = delete;
  CommWatchdog& operator=(const CommWatchdog&) = delete;

  double timeout_seconds() const { return timeout_; }

  // A blocking call starts: `op` (a literal) with `peers` (a string owned by the caller, e.g.
  // "rank 3" or "ranks 0,1,2"), both valid until end().
  void begin(const char* op, const std::string* peers);
  void end();

 private:
  void watch();
  [[noreturn]] void expire(int64_t waited_ns);

  const int rank_;
  const double timeout_;
  std::atomic<int64_t> started_ns_{0};  // 0: no call in progress
  std::atomic<const char*> op_{nullptr};
  std::atomic<const std::string*> peers_{nullptr};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

// Seconds from $EAGLERUN_COMM_TIMEOUT (0 = no limit), else `fallback`. Throws Error when malformed.
double comm_timeout_from_env(double fallback);

}  // namespace eaglerun
