#pragma once
// The device-side CUDA functions the kernels use, for host C++: barriers and warp operations as
// meetings of fibers (thread_context.h), atomics through std::atomic_ref, and the intrinsics that
// have no host definition in the CUDA headers. Same names and signatures as CUDA's (plus a defaulted
// std::source_location, so errors name the call site). Add a function here when a kernel needs it.
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <source_location>
#include <type_traits>

#include "core/backend/cuda/emulation/thread_context.h"

// ---- barriers and warp operations --------------------------------------------------------------

// Every thread of the block must reach the same __syncthreads(), else EmulationError (a deadlock).
inline void __syncthreads(std::source_location site = std::source_location::current()) {
  using namespace eaglerun::cuda::emulation;
  Meeting m;
  m.kind = MeetingKind::SyncThreads;
  m.site = site;
  meet(m);
}

namespace eaglerun::cuda::emulation {

inline void check_warp_mask(unsigned mask, const char* what) {
  const uint32_t lane = current_thread().linear % 32;
  if (!(mask >> lane & 1u)) {
    fail_launch(std::string(what) + ": lane " + std::to_string(lane) + " is not in its own mask");
  }
}

template <class T>
T shuffle(ShuffleMode mode, unsigned mask, T value, int operand, int width, std::source_location site,
          const char* what) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "shuffles move values of at most 8 bytes");
  check_warp_mask(mask, what);
  if (width < 1 || width > 32 || !std::has_single_bit(static_cast<unsigned>(width))) {
    fail_launch(std::string(what) + ": width " + std::to_string(width) + " is not a power of two <= 32");
  }
  Meeting m;
  m.kind = MeetingKind::Shuffle;
  m.shuffle = mode;
  m.mask = mask;
  m.width = width;
  m.operand = operand;
  m.value_bytes = sizeof(T);
  std::memcpy(&m.value, &value, sizeof(T));
  m.site = site;
  const uint64_t bits = meet(m);
  T result;
  std::memcpy(&result, &bits, sizeof(T));
  return result;
}

inline uint64_t vote(VoteMode mode, unsigned mask, int predicate, std::source_location site, const char* what) {
  check_warp_mask(mask, what);
  Meeting m;
  m.kind = MeetingKind::Vote;
  m.vote = mode;
  m.mask = mask;
  m.value = predicate != 0;
  m.site = site;
  return meet(m);
}

}  // namespace eaglerun::cuda::emulation

// The lanes in mask (each calling lane included) wait for each other.
inline void __syncwarp(unsigned mask = 0xFFFFFFFFu, std::source_location site = std::source_location::current()) {
  using namespace eaglerun::cuda::emulation;
  check_warp_mask(mask, "__syncwarp");
  Meeting m;
  m.kind = MeetingKind::SyncWarp;
  m.mask = mask;
  m.site = site;
  meet(m);
}

template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32,
              std::source_location site = std::source_location::current()) {
  using namespace eaglerun::cuda::emulation;
  return shuffle(ShuffleMode::Index, mask, var, src_lane, width, site, "__shfl_sync");
}

template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32,
                 std::source_location site = std::source_location::current()) {
  using namespace eaglerun::cuda::emulation;
  return shuffle(ShuffleMode::Up, mask, var, static_cast<int>(delta), width, site, "__shfl_up_sync");
}

template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32,
                   std::source_location site = std::source_location::current()) {
  using namespace eaglerun::cuda::emulation;
  return shuffle(ShuffleMode::Down, mask, var, static_cast<int>(delta), width, site, "__shfl_down_sync");
}

template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32,
                  std::source_location site = std::source_location::current()) {
  using namespace eaglerun::cuda::emulation;
  return shuffle(ShuffleMode::Xor, mask, var, lane_mask, width, site, "__shfl_xor_sync");
}

inline int __any_sync(unsigned mask, int predicate, std::source_location site = std::source_location::current()) {
  using namespace eaglerun::cuda::emulation;
  return static_cast<int>(vote(VoteMode::Any, mask, predicate, site, "__any_sync"));
}

inline int __all_sync(unsigned mask, int predicate, std::source_location site = std::source_location::current()) {
  using namespace eaglerun::cuda::emulation;
  return static_cast<int>(vote(VoteMode::All, mask, predicate, site, "__all_sync"));
}

inline unsigned __ballot_sync(unsigned mask, int predicate,
                              std::source_location site = std::source_location::current()) {
  using namespace eaglerun::cuda::emulation;
  return static_cast<unsigned>(vote(VoteMode::Ballot, mask, predicate, site, "__ballot_sync"));
}

// Stops the launch: on a GPU the kernel faults; here the launch throws EmulationError.
[[noreturn]] inline void __trap() { eaglerun::cuda::emulation::fail_launch("__trap() called"); }

// ---- atomics: each returns the old value -------------------------------------------------------

template <class T>
  requires(std::is_same_v<T, int> || std::is_same_v<T, unsigned> || std::is_same_v<T, unsigned long long> ||
           std::is_same_v<T, float> || std::is_same_v<T, double>)
T atomicAdd(T* address, T value) {
  return std::atomic_ref<T>(*address).fetch_add(value);
}

template <class T>
  requires(std::is_same_v<T, int> || std::is_same_v<T, unsigned> || std::is_same_v<T, long long> ||
           std::is_same_v<T, unsigned long long>)
T atomicMax(T* address, T value) {
  std::atomic_ref<T> ref(*address);
  T old = ref.load();
  while (old < value && !ref.compare_exchange_weak(old, value)) {
  }
  return old;
}

template <class T>
  requires(std::is_same_v<T, int> || std::is_same_v<T, unsigned> || std::is_same_v<T, long long> ||
           std::is_same_v<T, unsigned long long>)
T atomicMin(T* address, T value) {
  std::atomic_ref<T> ref(*address);
  T old = ref.load();
  while (old > value && !ref.compare_exchange_weak(old, value)) {
  }
  return old;
}

template <class T>
  requires(std::is_same_v<T, int> || std::is_same_v<T, unsigned> || std::is_same_v<T, unsigned long long>)
T atomicCAS(T* address, T compare, T value) {
  std::atomic_ref<T>(*address).compare_exchange_strong(compare, value);
  return compare;
}

template <class T>
  requires(std::is_same_v<T, int> || std::is_same_v<T, unsigned> || std::is_same_v<T, unsigned long long> ||
           std::is_same_v<T, float>)
T atomicExch(T* address, T value) {
  return std::atomic_ref<T>(*address).exchange(value);
}

// ---- arithmetic intrinsics without a host definition -------------------------------------------
// The _rn forms are never contracted into an FMA by nvcc; g++ (ISO C++ mode, no -ffp-contract=fast)
// contracts nothing either, so plain operators give the same bits.

inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }

inline unsigned __float_as_uint(float f) { return std::bit_cast<unsigned>(f); }
inline float __uint_as_float(unsigned u) { return std::bit_cast<float>(u); }
inline int __float_as_int(float f) { return std::bit_cast<int>(f); }
inline float __int_as_float(int i) { return std::bit_cast<float>(i); }

inline int __popc(unsigned x) { return std::popcount(x); }
inline int __clz(unsigned x) { return std::countl_zero(x); }
inline int __ffs(unsigned x) { return x == 0 ? 0 : std::countr_zero(x) + 1; }

template <class T>
T __ldg(const T* p) {
  return *p;
}
