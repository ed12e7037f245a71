// make_gpu_sums in a build without NCCL (gpu_sums.h): a split that sums on GPUs says so, after the
// device's own errors (no CUDA backend in this build, no usable GPU), which come first as they do
// for a split that needs no NCCL.
#include "core/backend/device.h"
#include "core/error.h"
#include "core/kernels/thread_pool.h"
#include "parallel/gpu_sums.h"

namespace eaglerun {

std::unique_ptr<GpuSums> make_gpu_sums(int gpu) {
  ThreadPool unused(1);  // only the CPU backend keeps a pool
  make_backend({DeviceSpec::Kind::Cuda, gpu}, unused, Precision::Reference);
  throw Error(
      "this build has no NCCL: --device cuda with --tp or --ep above 1 needs it (configure with EAGLERUN_CUDA "
      "where nccl.h and libnccl are found); --pp alone needs none");
}

}  // namespace eaglerun
