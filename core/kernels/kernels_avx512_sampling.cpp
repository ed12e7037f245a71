// The sampler's passes (sampling_passes.inc) compiled with AVX512 flags; reached only through
// sampling_kernels() after the CPU check.
#include "core/kernels/sampling_kernels.h"

namespace eaglerun::kernels {
namespace avx512_sampling {
#include "core/kernels/sampling_passes.inc"
}  // namespace avx512_sampling

const SamplingKernels kAvx512SamplingKernels = {avx512_sampling::scale_max,  avx512_sampling::sum_f32,
                                              avx512_sampling::scale_f32,  avx512_sampling::divide_f32, avx512_sampling::divide_bounded,
                                              avx512_sampling::large_terms, avx512_sampling::small_units};

}  // namespace eaglerun::kernels
