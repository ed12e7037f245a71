// make_gpu_sums with NCCL (gpu_sums.h): the CUDA runtime on the GPU, the CUDA backend and libnccl
// sharing one DeviceApi, so the kernels and the NCCL sums run on one stream.
#include <memory>

#include "core/backend/cuda_device_api.h"
#include "parallel/gpu_sums.h"
#include "parallel/nccl_world.h"

namespace eaglerun {
namespace {

class NcclGpuSums final : public GpuSums {
 public:
  explicit NcclGpuSums(int gpu) : device_(make_cudart_api(gpu)), backend_(make_cuda_backend_on(device_, gpu)) {}
  std::shared_ptr<Backend> backend() const override { return backend_; }
  void attach_groups(Job& job, double timeout_seconds) override {
    attach_libnccl_groups(job, device_, timeout_seconds);
  }

 private:
  std::shared_ptr<DeviceApi> device_;  // this rank's GPU: one stream for the kernels and NCCL
  std::shared_ptr<Backend> backend_;   // the CUDA backend over device_
};

}  // namespace

std::unique_ptr<GpuSums> make_gpu_sums(int gpu) { return std::make_unique<NcclGpuSums>(gpu); }

}  // namespace eaglerun
