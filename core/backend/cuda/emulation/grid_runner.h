#pragma once
// Runs one kernel launch: the blocks of the grid one after another, each block's threads as fibers
// that meet at barriers and warp operations, in the order of current_schedule().
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>

#include <vector_types.h>

namespace eaglerun::cuda::emulation {

// A kernel bug the emulation caught (a barrier not every thread reaches, a warp operation whose
// lanes disagree, __trap()), or a launch the hardware would refuse (too many threads per block).
class EmulationError : public std::runtime_error {
 public:
  explicit EmulationError(const std::string& what) : std::runtime_error(what) {}
};

struct LaunchShape {
  dim3 grid;
  dim3 block;
  std::size_t dynamic_shared_bytes = 0;
};

// The most dynamic shared memory a launch may ask for without opting in (48 KiB, as on sm_80/sm_90).
inline constexpr std::size_t max_dynamic_shared_bytes = 48 * 1024;

// Calls thread_body once on every thread of the grid. Throws EmulationError.
void run_grid(const LaunchShape& shape, const std::function<void()>& thread_body);

}  // namespace eaglerun::cuda::emulation
