#include "core/backend/cuda/emulation/fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define EAGLERUN_FIBER_ASAN 1
#endif

namespace eaglerun::cuda::emulation {

namespace ctx = boost::context::detail;

std::size_t fiber_stack_bytes() {
#if defined(EAGLERUN_FIBER_ASAN)
  return 512 * 1024;
#else
  return 128 * 1024;
#endif
}

FiberStack::FiberStack(std::size_t usable_bytes) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  size_ = (usable_bytes + page - 1) / page * page;
  mapping_bytes_ = size_ + page;
  mapping_ = mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping_ == MAP_FAILED) throw std::bad_alloc();
  mprotect(mapping_, page, PROT_NONE);  // the guard page
  bottom_ = static_cast<char*>(mapping_) + page;
}

FiberStack::~FiberStack() { munmap(mapping_, mapping_bytes_); }

void Fiber::start(FiberStack& stack, Body body, void* argument) {
#if defined(EAGLERUN_FIBER_ASAN)
  // An abandoned fiber may have left poisoned redzones on this stack.
  ASAN_UNPOISON_MEMORY_REGION(stack.bottom(), stack.size());
#endif
  stack_ = &stack;
  body_ = body;
  argument_ = argument;
  finished_ = false;
  fiber_context_ = ctx::make_fcontext(stack.top(), stack.size(), &Fiber::entry);
}

void Fiber::entry(ctx::transfer_t from) {
  auto* self = static_cast<Fiber*>(from.data);
  self->scheduler_context_ = from.fctx;
#if defined(EAGLERUN_FIBER_ASAN)
  __sanitizer_finish_switch_fiber(nullptr, &self->scheduler_stack_bottom_, &self->scheduler_stack_size_);
#endif
  self->body_(self->argument_);
  self->finished_ = true;
#if defined(EAGLERUN_FIBER_ASAN)
  __sanitizer_start_switch_fiber(nullptr, self->scheduler_stack_bottom_, self->scheduler_stack_size_);
#endif
  ctx::jump_fcontext(self->scheduler_context_, nullptr);  // never resumed again
}

void Fiber::resume() {
#if defined(EAGLERUN_FIBER_ASAN)
  __sanitizer_start_switch_fiber(&scheduler_fake_stack_, stack_->bottom(), stack_->size());
#endif
  const ctx::transfer_t back = ctx::jump_fcontext(fiber_context_, this);
#if defined(EAGLERUN_FIBER_ASAN)
  __sanitizer_finish_switch_fiber(scheduler_fake_stack_, nullptr, nullptr);
#endif
  fiber_context_ = back.fctx;
}

void Fiber::suspend() {
#if defined(EAGLERUN_FIBER_ASAN)
  __sanitizer_start_switch_fiber(&fiber_fake_stack_, scheduler_stack_bottom_, scheduler_stack_size_);
#endif
  const ctx::transfer_t back = ctx::jump_fcontext(scheduler_context_, nullptr);
#if defined(EAGLERUN_FIBER_ASAN)
  __sanitizer_finish_switch_fiber(fiber_fake_stack_, &scheduler_stack_bottom_, &scheduler_stack_size_);
#endif
  scheduler_context_ = back.fctx;
}

}  // namespace eaglerun::cuda::emulation
