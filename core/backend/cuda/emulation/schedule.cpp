#include "core/backend/cuda/emulation/schedule.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace eaglerun::cuda::emulation {

namespace {

thread_local Schedule current{};

// splitmix64: a cheap generator (a launch draws one permutation per round of every block).
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

std::string Schedule::name() const {
  switch (order) {
    case Order::Forward:
      return "forward";
    case Order::Reverse:
      return "reverse";
    case Order::Shuffled:
      return "shuffled_" + std::to_string(seed);
  }
  return "unknown";
}

std::vector<Schedule> standard_schedules() {
  return {{Order::Forward, 0}, {Order::Reverse, 0}, {Order::Shuffled, 1}, {Order::Shuffled, 2}};
}

Schedule current_schedule() { return current; }

ScopedSchedule::ScopedSchedule(Schedule schedule) : previous_(current) { current = schedule; }

ScopedSchedule::~ScopedSchedule() { current = previous_; }

std::vector<uint32_t> visiting_order(const Schedule& schedule, uint32_t count, uint64_t stream) {
  std::vector<uint32_t> order(count);
  std::iota(order.begin(), order.end(), 0u);
  if (schedule.order == Order::Reverse) {
    std::reverse(order.begin(), order.end());
  } else if (schedule.order == Order::Shuffled) {
    uint64_t state = schedule.seed * 0xD1B54A32D192ED03ull ^ stream;
    for (uint32_t i = count; i > 1; --i) {  // Fisher-Yates
      const auto j = static_cast<uint32_t>(next_random(state) % i);
      std::swap(order[i - 1], order[j]);
    }
  }
  return order;
}

}  // namespace eaglerun::cuda::emulation
