#pragma once
// The order in which the emulation runs the blocks of a grid and the threads of a block. A kernel
// whose result depends on it has a race: a missing __syncthreads() or __syncwarp(), or threads of
// different blocks touching the same memory without atomics. Tests run every kernel in each of
// standard_schedules().
#include <cstdint>
#include <string>
#include <vector>

namespace eaglerun::cuda::emulation {

enum class Order {
  Forward,   // blocks and threads in increasing index
  Reverse,   // in decreasing index
  Shuffled,  // a fresh pseudo-random permutation for every block and every round of a block's threads
};

struct Schedule {
  Order order = Order::Forward;
  uint64_t seed = 0;  // Shuffled only

  std::string name() const;  // "forward", "reverse", "shuffled_7"
};

// Forward, Reverse and two Shuffled seeds.
std::vector<Schedule> standard_schedules();

// The schedule launches on this OS thread use (Forward until set).
Schedule current_schedule();

// Sets the schedule of this OS thread for its lifetime, then restores the previous one.
class ScopedSchedule {
 public:
  explicit ScopedSchedule(Schedule schedule);
  ~ScopedSchedule();
  ScopedSchedule(const ScopedSchedule&) = delete;
  ScopedSchedule& operator=(const ScopedSchedule&) = delete;

 private:
  Schedule previous_;
};

// Visiting order for `count` items under `schedule`; `stream` makes Shuffled permutations differ
// between uses (a block index, a round number).
std::vector<uint32_t> visiting_order(const Schedule& schedule, uint32_t count, uint64_t stream);

}  // namespace eaglerun::cuda::emulation
