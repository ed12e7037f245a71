#include "core/kernels/memory_bandwidth.h"

#include <gtest/gtest.h>

#include <cmath>

namespace eaglerun {
namespace {

TEST(MemoryBandwidth, ReturnsAPlausibleRate) {
  ThreadPool pool(2);
  const double gbps = measure_read_bandwidth_gbps(pool, std::size_t(16) << 20);  // small: a unit test
  EXPECT_TRUE(std::isfinite(gbps));
  EXPECT_GT(gbps, 0.1);
  EXPECT_LT(gbps, 10000.0);
}

}  // namespace
}  // namespace eaglerun
