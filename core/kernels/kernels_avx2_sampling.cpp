// The sampler's passes (sampling_passes.inc) compiled with AVX2 flags; reached only through
// sampling_kernels() after the CPU check.
#include "core/kernels/sampling_kernels.h"

namespace eaglerun::kernels {
namespace avx2_sampling {
#include "core/kernels/sampling_passes.inc"
}  // namespace avx2_sampling

const SamplingKernels kAvx2SamplingKernels = {avx2_sampling::scale_max,  avx2_sampling::sum_f32,
                                              avx2_sampling::scale_f32,  avx2_sampling::divide_f32,
                                              avx2_sampling::large_terms, avx2_sampling::small_units};

}  // namespace eaglerun::kernels
