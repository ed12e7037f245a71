#pragma once
// Host-side sizing of launches, shared by the launchers in *.cu.
#include <cstdint>
#include <string>

#include "core/error.h"

namespace eaglerun::cuda {

inline constexpr int64_t max_grid_blocks = 0x7FFFFFFF;  // gridDim.x limit
inline constexpr int64_t elementwise_blocks = 4096;     // grid-stride kernels use at most this many

// Threads per block for `work` items: a multiple of 32 (whole warps), between 32 and max_threads.
inline unsigned threads_for(int64_t work, unsigned max_threads) {
  const int64_t warps = (work + 31) / 32;
  const int64_t threads = warps * 32;
  return threads < 32 ? 32u : threads > max_threads ? max_threads : static_cast<unsigned>(threads);
}

// Blocks of `threads` threads that cover `work` items once, at most `max_blocks`.
inline unsigned blocks_for(int64_t work, unsigned threads, int64_t max_blocks = elementwise_blocks) {
  const int64_t blocks = (work + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 1 ? 1 : blocks > max_blocks ? max_blocks : blocks);
}

// Throws Error unless 1 <= value <= limit: "<op>: <what> must be in [1, limit], got <value>".
inline void require_size(const char* op, const char* what, int64_t value, int64_t limit = max_grid_blocks) {
  require(value >= 1 && value <= limit, std::string(op) + ": " + what + " must be in [1, " + std::to_string(limit) +
                                            "], got " + std::to_string(value));
}

}  // namespace eaglerun::cuda
