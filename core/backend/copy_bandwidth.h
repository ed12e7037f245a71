#pragma once
// A backend's device-to-device copy bandwidth (GB/s, 1e9 bytes/s), reads and writes both counted, as
// CUDA's bandwidthTest reports its device-to-device figure: `reps` copies of a `bytes` buffer into
// another, timed on the host from the first copy to a download that waits for the last, best of
// `trials`. What a decode step's weight reads can reach on a GPU (eaglerun bench --device cuda);
// the CPU's figure stays the streaming read of core/kernels/memory_bandwidth.h.
#include <cstdint>

#include "core/backend/backend.h"

namespace eaglerun {

double measure_copy_bandwidth_gbps(Backend& backend, int64_t bytes = int64_t(1) << 30, int reps = 10, int trials = 3);

}  // namespace eaglerun
