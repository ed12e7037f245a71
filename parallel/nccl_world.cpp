#include "parallel/nccl_world.h"

#include <string>

#include "core/backend/cuda_backend.h"
#include "core/backend/cuda_gemm.h"
#include "parallel/world.h"

namespace eaglerun {

int nccl_local_gpu() { return launch_environment().local_rank; }

std::unique_ptr<NcclCommunicator> make_nccl_communicator(Communicator& host, std::shared_ptr<DeviceApi> device,
                                                         double timeout_seconds) {
  if (!device) device = make_cudart_api(nccl_local_gpu());
  NcclResources resources{make_libnccl_api(host.world_rank(host.rank())), std::move(device), timeout_seconds};
  return std::make_unique<NcclCommunicator>(host, std::move(resources));
}

std::shared_ptr<Backend> make_cuda_backend_on(std::shared_ptr<DeviceApi> device, int gpu) {
  std::unique_ptr<Gemm> gemm = make_cublas_gemm(device->stream());
  return std::make_shared<CudaBackend>("cuda:" + std::to_string(gpu), std::make_unique<SharedDeviceApi>(device),
                                       std::move(gemm));
}

void attach_libnccl_groups(Job& job, std::shared_ptr<DeviceApi> device, double timeout_seconds) {
  const int me = job.world().rank;
  attach_nccl_groups(job, NcclResources{make_libnccl_api(me), std::move(device), timeout_seconds});
}

}  // namespace eaglerun
