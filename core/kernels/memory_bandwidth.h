#pragma once
// Measures this machine's streaming read bandwidth (GB/s, 1e9 bytes/s): every thread of the pool
// sums its share of a buffer much larger than the last-level cache, best of several passes.
#include "core/kernels/thread_pool.h"

namespace eaglerun {

double measure_read_bandwidth_gbps(ThreadPool& pool, std::size_t buffer_bytes = std::size_t(1) << 30);

}  // namespace eaglerun
