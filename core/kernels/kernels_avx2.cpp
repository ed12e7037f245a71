#include "core/kernels/kernels_avx2.h"

namespace eaglerun::kernels {

extern const IsaKernels kAvx2Kernels = {&avx2::act_row_bytes, &avx2::quantize_row, &avx2::pack_rows, &avx2::gemm_quant,
                                        &avx2::gemm_float, &avx2::attention_scores,
                                        &avx2::attention_mix};

}  // namespace eaglerun::kernels
