#pragma once
// The sampler's whole-vocabulary passes (core/sampling/sampler.cpp), compiled for each kernel ISA
// from one source (sampling_passes.inc) and picked with active_kernel_isa(). All exact except
// sum_f32 (see the .inc); exp is exp_kernels.h.
#include <cstdint>

namespace eaglerun::kernels {

struct LargeTerms {
  double sum;             // Σ p[i] over p[i] >= tau (exact when those are multiples of one ulp that fit)
  float lowest_large_x;   // min x over p >= tau (+inf if none)
  float highest_small_x;  // max x over 0 < p < tau (-inf if none)
};

struct SmallUnits {
  double units;  // Σ round(p / ulp) over p < tau that are not half-ulp ties (an exact integer)
  int64_t ties;  // how many p < tau are odd multiples of ulp / 2
};

struct SamplingKernels {
  // x[i] = logits[i] / t; returns max x.
  float (*scale_max)(const float* logits, float t, float* x, int64_t n);
  // Σ p in double, in an order of the ISA's choosing.
  double (*sum_f32)(const float* p, int64_t n);
  void (*scale_f32)(float* p, int64_t n, float factor);                      // p[i] *= factor
  void (*divide_f32)(const float* p, double divisor, float* q, int64_t n);  // q[i] = float(p[i] / divisor)
  // q[i] = float(p[i] / s), and an upper bound of how far the q[i] may move when s is only known
  // within a relative `bound` (the summed widths; 0 when none can).
  double (*divide_bounded)(const float* p, double s, double bound, float* q, int64_t n);
  void (*large_terms)(const float* p, const float* x, int64_t n, float tau, LargeTerms* out);
  // Also writes units[i]: round(p / ulp) for small non-tie terms, -1 for ties, 0 for large terms.
  void (*small_units)(const float* p, int64_t n, float tau, double per_ulp, int32_t* units, SmallUnits* out);
};

const SamplingKernels& sampling_kernels();  // the active ISA's

extern const SamplingKernels kScalarSamplingKernels;
#if defined(EAGLERUN_X86_KERNELS)
extern const SamplingKernels kAvx2SamplingKernels;
extern const SamplingKernels kAvx512SamplingKernels;
#endif

}  // namespace eaglerun::kernels
