#include "parallel/nccl_world.h"

#include "parallel/world.h"

namespace eaglerun {

int nccl_local_gpu() { return launch_environment().local_rank; }

std::unique_ptr<NcclCommunicator> make_nccl_communicator(Communicator& host, std::shared_ptr<DeviceApi> device,
                                                         double timeout_seconds) {
  if (!device) device = make_cudart_api(nccl_local_gpu());
  NcclResources resources{make_libnccl_api(host.world_rank(host.rank())), std::move(device), timeout_seconds};
  return std::make_unique<NcclCommunicator>(host, std::move(resources));
}

}  // namespace eaglerun
