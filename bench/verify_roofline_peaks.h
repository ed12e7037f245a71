#pragma once
// Peak multiply-add loops for bench/verify_roofline: each runs `iters` iterations of independent
// dot-product instructions on register operands (no memory traffic) and returns a checksum that
// keeps the work alive. Each function needs its instruction set; check before calling.
#include <cstdint>

namespace eaglerun::bench {

// vpdpbusd (AVX-512 VNNI): 16 accumulators x 64 u8*s8 multiply-adds per iteration.
inline constexpr int64_t kVnniMacsPerIter = 16 * 64;
int64_t int8_loop_vnni(int64_t iters, int seed);

// vpmaddubsw + vpmaddwd + vpaddd (AVX2): 6 accumulators x 32 u8*s8 multiply-adds per iteration.
inline constexpr int64_t kAvx2Int8MacsPerIter = 6 * 32;
int64_t int8_loop_avx2(int64_t iters, int seed);

// vdpbf16ps (AVX512_BF16): 16 accumulators x 32 bf16 multiply-adds per iteration.
inline constexpr int64_t kBf16MacsPerIter = 16 * 32;
double bf16_loop_avx512(int64_t iters, int seed);

// vfmadd231ps: 16 zmm accumulators x 16 fp32 multiply-adds (AVX-512F), or 12 ymm x 8 (AVX2+FMA).
inline constexpr int64_t kFmaAvx512MacsPerIter = 16 * 16;
inline constexpr int64_t kFmaAvx2MacsPerIter = 12 * 8;
double fma_loop_avx512(int64_t iters, int seed);
double fma_loop_avx2(int64_t iters, int seed);

// CPUID leaf 7 sub-leaf 1, EAX bit 5 (the OS support of zmm state is checked by the caller).
bool cpu_has_avx512_bf16();

}  // namespace eaglerun::bench
