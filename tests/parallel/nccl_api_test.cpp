// The real NcclApi (libnccl) on a machine without a GPU: NCCL starts (a unique id), and joining a
// communicator fails at once with one error line naming the call, NCCL's error and the rank; so does
// make_nccl_communicator. Skipped where a GPU is present.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <string>

#include "core/error.h"
#include "parallel/nccl_api.h"
#include "parallel/nccl_world.h"
#include "parallel/single_rank_communicator.h"

namespace eaglerun {
namespace {

bool gpu_present() {
  int count = 0;
  const bool present = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
  cudaGetLastError();
  return present;
}

TEST(LibncclApi, WithoutAGpuInitFailsWithOneLineNamingTheCallTheErrorAndTheRank) {
  if (gpu_present()) GTEST_SKIP() << "a GPU is present";
  auto nccl = make_libnccl_api(0);
  const NcclUniqueId id = nccl->get_unique_id();
  try {
    nccl->init_rank(id, 1, 0);
    FAIL() << "ncclCommInitRank succeeded without a GPU";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("NCCL ncclCommInitRank (rank 0 of 1) failed on rank 0: "), std::string::npos) << what;
    EXPECT_NE(what.find("cuda"), std::string::npos) << what;  // "unhandled cuda error (Cuda failure ...)"
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(LibncclApi, WithoutAGpuMakingACommunicatorFailsWithOneLine) {
  if (gpu_present()) GTEST_SKIP() << "a GPU is present";
  SingleRankCommunicator host;
  try {
    make_nccl_communicator(host, nullptr, 5);
    FAIL() << "an NCCL communicator without a GPU";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no usable GPU"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace eaglerun
