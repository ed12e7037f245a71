#include "core/kernels/kernels_avx512.h"

namespace eaglerun::kernels {

extern const IsaKernels kAvx512Kernels = {&avx512::act_row_bytes, &avx512::quantize_row, &avx512::pack_rows,
                                          &avx512::gemm_quant,
                                          &avx512::gemm_float, &avx512::attention_scores,
                                          &avx512::attention_mix};

}  // namespace eaglerun::kernels
