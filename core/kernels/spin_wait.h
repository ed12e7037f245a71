#pragma once
// Internal: waiting for an atomic word to change, first by spinning (cheap when the change comes
// within microseconds, as it does between the ~200 parallel loops of one decode step), then by
// sleeping in the kernel (std::atomic::wait, a futex on Linux) so idle threads cost nothing.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace eaglerun::kernels {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// A waiter spins on the word for kPureSpin, then keeps polling but yields the CPU between polls
// (so that, with more threads than free cores, the thread it waits for can run) until kSpinBudget,
// then sleeps.
inline constexpr std::chrono::microseconds kPureSpin{20};
inline constexpr std::chrono::microseconds kSpinBudget{200};

// Spins until `word` differs from `old` or the spin budget runs out. Returns the new value, or
// `old` if the budget ran out.
inline uint32_t spin_while_equal(const std::atomic<uint32_t>& word, uint32_t old) {
  const auto start = std::chrono::steady_clock::now();
  bool yielding = false;
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      const uint32_t now = word.load(std::memory_order_acquire);
      if (now != old) return now;
      if (yielding) {
        std::this_thread::yield();
      } else {
        cpu_relax();
      }
    }
    const auto spent = std::chrono::steady_clock::now() - start;
    if (spent >= kSpinBudget) return old;
    yielding = spent >= kPureSpin;
  }
}

// Blocks until `word` differs from `old`: spins, then sleeps. `sleepers` counts the threads asleep
// on `word`, so that the thread that changes it calls notify only when someone sleeps:
//   changer: word.store(new, seq_cst); if (sleepers.load(seq_cst) > 0) word.notify_all();
// The seq_cst order of (sleepers++, load word) against (store word, load sleepers) guarantees that
// either the sleeper sees the new value or the changer sees the sleeper.
inline uint32_t wait_while_equal(const std::atomic<uint32_t>& word, uint32_t old, std::atomic<int>& sleepers) {
  uint32_t now = spin_while_equal(word, old);
  if (now != old) return now;
  sleepers.fetch_add(1, std::memory_order_seq_cst);
  while ((now = word.load(std::memory_order_seq_cst)) == old) word.wait(old, std::memory_order_seq_cst);
  sleepers.fetch_sub(1, std::memory_order_relaxed);
  return now;
}

inline void publish(std::atomic<uint32_t>& word, uint32_t value, const std::atomic<int>& sleepers) {
  word.store(value, std::memory_order_seq_cst);
  if (sleepers.load(std::memory_order_seq_cst) > 0) word.notify_all();
}

}  // namespace eaglerun::kernels
