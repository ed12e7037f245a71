#include "core/backend/cuda/emulation/schedule.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace eaglerun::cuda::emulation {

namespace {
thread_local Schedule current{};
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
    std::mt19937_64 random(schedule.seed * 0x9E3779B97F4A7C15ull + stream);
    std::shuffle(order.begin(), order.end(), random);
  }
  return order;
}

}  // namespace eaglerun::cuda::emulation
