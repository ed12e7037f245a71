#include "core/kernels/sampling_kernels.h"

#include "core/kernels/kernel_isa.h"

namespace eaglerun::kernels {
namespace scalar_sampling {
#include "core/kernels/sampling_passes.inc"
}  // namespace scalar_sampling

const SamplingKernels kScalarSamplingKernels = {scalar_sampling::scale_max,  scalar_sampling::sum_f32,
                                                scalar_sampling::scale_f32,  scalar_sampling::divide_f32, scalar_sampling::divide_bounded,
                                                scalar_sampling::large_terms, scalar_sampling::small_units};

const SamplingKernels& sampling_kernels() {
#if defined(EAGLERUN_X86_KERNELS)
  switch (active_kernel_isa()) {
    case KernelIsa::Avx512: return kAvx512SamplingKernels;
    case KernelIsa::Avx2: return kAvx2SamplingKernels;
    case KernelIsa::Scalar: break;
  }
#endif
  return kScalarSamplingKernels;
}

}  // namespace eaglerun::kernels
