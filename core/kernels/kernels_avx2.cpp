#include "core/kernels/kernels_avx2.h"

namespace eaglerun::kernels {

extern const IsaKernels kAvx2Kernels = {&avx2::act_row_bytes, &avx2::quantize_row, nullptr, &avx2::gemm_quant,
                                        &avx2::gemm_float, &portable_attention_scores,
                                        &portable_attention_mix};

}  // namespace eaglerun::kernels
