// Peak loops for bench/verify_roofline (see verify_roofline_peaks.h). Each function carries its own
// target attribute, so this file is compiled for baseline x86-64 like the rest of the program.
#include "bench/verify_roofline_peaks.h"

#include <cpuid.h>
#include <immintrin.h>

#include <cstring>

namespace eaglerun::bench {

#define EAGLERUN_UNROLL _Pragma("GCC unroll 16")

namespace {

// The sum of every Lane of the accumulators: the loops' results stay live, so no chain is dropped.
template <class Lane, class Vec, int N>
double sum_lanes(const Vec (&acc)[N]) {
  Lane lanes[sizeof(Vec) / sizeof(Lane)];
  double sum = 0;
  for (const Vec& v : acc) {
    std::memcpy(lanes, &v, sizeof v);
    for (Lane x : lanes) sum += static_cast<double>(x);
  }
  return sum;
}

}  // namespace

__attribute__((target("avx512f,avx512bw,avx512vnni"))) int64_t int8_loop_vnni(int64_t iters, int seed) {
  const __m512i a = _mm512_set1_epi8(static_cast<char>(seed | 1));
  const __m512i b = _mm512_set1_epi8(static_cast<char>(seed + 3));
  __m512i acc[16];
  EAGLERUN_UNROLL for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_epi32(i);  // distinct chains: no CSE
  for (int64_t it = 0; it < iters; ++it) {
    EAGLERUN_UNROLL for (int i = 0; i < 16; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
  }
  return static_cast<int64_t>(sum_lanes<int32_t>(acc));
}

__attribute__((target("avx2,fma"))) int64_t int8_loop_avx2(int64_t iters, int seed) {
  // Three u8 and two s8 vectors give six distinct products; the empty asm makes them look new each
  // iteration, so the multiplies are neither hoisted out of the loop nor shared between chains.
  __m256i a0 = _mm256_set1_epi8(static_cast<char>(seed | 1)), a1 = _mm256_set1_epi8(static_cast<char>(seed + 2));
  __m256i a2 = _mm256_set1_epi8(static_cast<char>(seed + 4));
  __m256i b0 = _mm256_set1_epi8(static_cast<char>(seed + 5)), b1 = _mm256_set1_epi8(static_cast<char>(seed + 7));
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  for (int64_t it = 0; it < iters; ++it) {
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(b0), "+x"(b1));
    c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_maddubs_epi16(a0, b0), ones));
    c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_maddubs_epi16(a1, b0), ones));
    c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(_mm256_maddubs_epi16(a2, b0), ones));
    c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(_mm256_maddubs_epi16(a0, b1), ones));
    c4 = _mm256_add_epi32(c4, _mm256_madd_epi16(_mm256_maddubs_epi16(a1, b1), ones));
    c5 = _mm256_add_epi32(c5, _mm256_madd_epi16(_mm256_maddubs_epi16(a2, b1), ones));
  }
  const __m256i all = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3)),
                                       _mm256_add_epi32(c4, c5));
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), all);
  int64_t sum = 0;
  for (int32_t v : lanes) sum += v;
  return sum;
}

__attribute__((target("avx512f,avx512bf16"))) double bf16_loop_avx512(int64_t iters, int seed) {
  const __m512 x = _mm512_set1_ps(0.001f * static_cast<float>(seed + 1));
  const __m512bh a = _mm512_cvtne2ps_pbh(x, x);
  const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), x);
  __m512 acc[16];
  EAGLERUN_UNROLL for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iters; ++it) {
    EAGLERUN_UNROLL for (int i = 0; i < 16; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  }
  return sum_lanes<float>(acc);
}

__attribute__((target("avx512f"))) double fma_loop_avx512(int64_t iters, int seed) {
  const __m512 a = _mm512_set1_ps(0.001f * static_cast<float>(seed + 1)), b = _mm512_set1_ps(0.5f);
  __m512 acc[16];
  EAGLERUN_UNROLL for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iters; ++it) {
    EAGLERUN_UNROLL for (int i = 0; i < 16; ++i) acc[i] = _mm512_fmadd_ps(a, b, acc[i]);
  }
  return sum_lanes<float>(acc);
}

__attribute__((target("avx2,fma"))) double fma_loop_avx2(int64_t iters, int seed) {
  const __m256 a = _mm256_set1_ps(0.001f * static_cast<float>(seed + 1)), b = _mm256_set1_ps(0.5f);
  __m256 acc[12];
  EAGLERUN_UNROLL for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iters; ++it) {
    EAGLERUN_UNROLL for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(a, b, acc[i]);
  }
  return sum_lanes<float>(acc);
}

bool cpu_has_avx512_bf16() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
  return (eax >> 5) & 1u;
}

}  // namespace eaglerun::bench
