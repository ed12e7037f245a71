#pragma once
// exp for the sampler's softmax, bit for bit what std::exp(float) returns in this process.
//
// The vector paths (AVX2, AVX-512) are glibc's expf (glibc >= 2.27, from Arm's optimized-routines;
// the variant x86-64 glibc runs on CPUs with FMA): x*32/ln2 = k + r rounded with the 0x1.8p52 shift
// in one FMA, 2^(k/32) from a 32-entry table, a cubic in r with three FMAs, all in double, rounded
// once to float. Its error is glibc's, below 0.502 ulp. Each lane does the same IEEE operations in the
// same order as the scalar libm code, so the output is identical on every ISA; the vector path is used
// only if it matches std::exp on a start-up check of ~70,000 inputs spanning the whole float range
// (tests/sampling check all floats in [-104, 0]); otherwise, and on the scalar ISA, a std::exp loop runs.
#include <cstdint>

namespace eaglerun {

// y[i] = std::exp(x[i] - shift), the subtraction in float; x and y may be the same array.
void exp_shifted(const float* x, float shift, float* y, int64_t n);

// out[i] = gate[i] / (1 + std::exp(-gate[i])) * up[i] for a prefix of the n elements, in vector
// lanes (exp as exp_shifted's, the rest the same float operations in the same order); returns how
// many it did (0 without a checked vector path), the caller does the rest.
int64_t silu_mul_vectorised(const float* gate, const float* up, int64_t n, float* out);

// Whether exp_shifted uses a vector path (the active ISA has one and it passed the start-up check).
bool exp_shifted_vectorised();

namespace kernels {
// The ISA loops (kernels_avx2_exp.cpp, kernels_avx512_exp.cpp): whole vectors only; they return how
// many elements they did (a multiple of their width), the caller does the tail with std::exp.
int64_t exp_shifted_avx2(const float* x, float shift, float* y, int64_t n);
int64_t exp_shifted_avx512(const float* x, float shift, float* y, int64_t n);
// silu_mul_vectorised's AVX-512 loop: whole 16-lane vectors only.
int64_t silu_mul_avx512(const float* gate, const float* up, int64_t n, float* out);
// glibc's table: asuint64(2^(i/32)) - (i << 47).
extern const uint64_t kExp2fTable[32];
}  // namespace kernels

}  // namespace eaglerun
