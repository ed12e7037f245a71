#pragma once
// What one emulated GPU thread knows about itself while its fiber runs, and how it meets others.
// Device functions (device_functions.h) reach the running thread through current_thread().
#include <cstddef>
#include <cstdint>
#include <source_location>
#include <string>

#include <vector_types.h>  // dim3, uint3 (CUDA headers, host C++)

namespace eaglerun::cuda::emulation {

class BlockRun;

// A point where threads wait for each other: a block barrier or one collective warp operation.
enum class MeetingKind : uint8_t { None, SyncThreads, SyncWarp, Shuffle, Vote };
enum class ShuffleMode : uint8_t { Index, Up, Down, Xor };
enum class VoteMode : uint8_t { Any, All, Ballot };

struct Meeting {
  MeetingKind kind = MeetingKind::None;
  ShuffleMode shuffle = ShuffleMode::Index;  // Shuffle only
  VoteMode vote = VoteMode::Any;             // Vote only
  unsigned mask = 0;                         // warp operations: the lanes that take part
  int width = 32;                            // Shuffle: segment width, a power of two <= 32
  int operand = 0;                           // Shuffle: source lane, delta or lane mask
  std::size_t value_bytes = 0;               // Shuffle: size of the exchanged value
  uint64_t value = 0;                        // this thread's value (Shuffle) or predicate (Vote)
  uint64_t result = 0;                       // set when the meeting completes
  std::source_location site;                 // where the kernel called it
};

struct ThreadContext {
  uint3 thread_idx{};
  uint3 block_idx{};
  dim3 block_dim;
  dim3 grid_dim;
  uint32_t linear = 0;  // thread_idx.x + block_dim.x * (thread_idx.y + block_dim.y * thread_idx.z)
  BlockRun* block = nullptr;
  Meeting meeting;
};

// The thread whose fiber is running. Calling it outside a kernel is a bug: it aborts.
ThreadContext& current_thread();

// Waits at `meeting` until every thread it names has arrived, then returns its result. A misuse
// (a lane outside its own mask, a barrier some threads never reach) stops the launch with an
// EmulationError, and the call never returns.
uint64_t meet(const Meeting& meeting);

// Stops the launch with an EmulationError carrying `message` (__trap(), bad arguments to a warp op):
// unwinds the calling thread's stack with an internal exception the kernel must not catch.
[[noreturn]] void fail_launch(const std::string& message);

// The launch's dynamic shared memory for the running thread's block (poisoned with 0xFF bytes
// before each block starts); nullptr when the launch asked for none.
std::byte* dynamic_shared_memory();

}  // namespace eaglerun::cuda::emulation
