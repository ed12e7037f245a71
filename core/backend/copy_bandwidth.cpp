#include "core/backend/copy_bandwidth.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace eaglerun {

double measure_copy_bandwidth_gbps(Backend& backend, int64_t bytes, int reps, int trials) {
  require(bytes >= 4 && reps >= 1 && trials >= 1, "measure_copy_bandwidth_gbps: bad sizes");
  DeviceBuffer a = backend.allocate(bytes), b = backend.allocate(bytes);
  backend.zero(a.data(), bytes);
  backend.zero(b.data(), bytes);
  int32_t sink = 0;
  backend.copy(b.data(), a.data(), bytes);  // warm-up (first touch, clocks)
  backend.download(&sink, b.data(), sizeof sink);
  double best = 0;
  for (int t = 0; t < trials; ++t) {
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) {
      if (r % 2 == 0) {
        backend.copy(b.data(), a.data(), bytes);
      } else {
        backend.copy(a.data(), b.data(), bytes);
      }
    }
    backend.download(&sink, b.data(), sizeof sink);  // waits for every copy before it
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, 2.0 * static_cast<double>(bytes) * reps / seconds / 1e9);
  }
  return best;
}

}  // namespace eaglerun
