// register_cuda_backend in a build without the CUDA backend (EAGLERUN_CUDA=OFF): --device cuda
// then says so (device.cpp).
#include "core/backend/device.h"

namespace eaglerun {

void register_cuda_backend() {}

}  // namespace eaglerun
