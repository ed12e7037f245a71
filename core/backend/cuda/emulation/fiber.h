#pragma once
// One emulated GPU thread's execution context: a Boost.Context fcontext on its own stack.
// Fibers switch only with the scheduler, on one OS thread: the scheduler resume()s a fiber, which
// runs until it suspend()s (at a meeting point: a barrier, a shuffle) or its body returns.
// A fiber that never finishes (a thread left waiting at a barrier when its launch stops with an error)
// is simply abandoned: nothing on its stack is unwound (the emulation's meeting points hold nothing
// that owns memory there), and its stack is reused by the next fiber started on it.
#include <cstddef>

#include <boost/context/detail/fcontext.hpp>

namespace eaglerun::cuda::emulation {

// A fiber stack: mmap'd, with an inaccessible guard page below it (an overflow faults instead of
// corrupting a neighbour).
class FiberStack {
 public:
  explicit FiberStack(std::size_t usable_bytes);
  ~FiberStack();
  FiberStack(const FiberStack&) = delete;
  FiberStack& operator=(const FiberStack&) = delete;

  void* bottom() const { return bottom_; }  // lowest usable address
  void* top() const { return static_cast<char*>(bottom_) + size_; }
  std::size_t size() const { return size_; }

 private:
  void* mapping_ = nullptr;
  std::size_t mapping_bytes_ = 0;
  void* bottom_ = nullptr;
  std::size_t size_ = 0;
};

// Usable bytes of each fiber stack (larger under AddressSanitizer, whose frames carry redzones).
std::size_t fiber_stack_bytes();

class Fiber {
 public:
  using Body = void (*)(void* argument);

  // Prepares body(argument) to run on `stack` at the next resume(). The stack must outlive the run.
  void start(FiberStack& stack, Body body, void* argument);
  // Scheduler side: runs the fiber until it suspends or its body returns.
  void resume();
  // Fiber side: returns control to the scheduler until the next resume().
  void suspend();
  bool finished() const { return finished_; }

 private:
  static void entry(boost::context::detail::transfer_t from);

  boost::context::detail::fcontext_t fiber_context_ = nullptr;
  boost::context::detail::fcontext_t scheduler_context_ = nullptr;
  Body body_ = nullptr;
  void* argument_ = nullptr;
  bool finished_ = false;
  // AddressSanitizer's view of the stacks we switch between (used only under ASan).
  const FiberStack* stack_ = nullptr;
  const void* scheduler_stack_bottom_ = nullptr;
  std::size_t scheduler_stack_size_ = 0;
  void* scheduler_fake_stack_ = nullptr;
  void* fiber_fake_stack_ = nullptr;
};

}  // namespace eaglerun::cuda::emulation
