#pragma once
// Runs a test body under every thread and block order of the CUDA emulation.
#include <gtest/gtest.h>

#include "core/backend/cuda/emulation/schedule.h"

namespace eaglerun::cuda::testing {

// body() once per emulation::standard_schedules() entry, with the schedule's name in failures.
template <class Body>
void in_every_schedule(Body body) {
  for (const emulation::Schedule& schedule : emulation::standard_schedules()) {
    SCOPED_TRACE("schedule " + schedule.name());
    const emulation::ScopedSchedule scope(schedule);
    body();
  }
}

}  // namespace eaglerun::cuda::testing
