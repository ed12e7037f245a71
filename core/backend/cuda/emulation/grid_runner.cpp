// The scheduler of the emulation. A block runs in rounds: every runnable thread (fiber) runs, in the
// schedule's order, until it waits at a meeting or finishes; then the meetings whose threads have all
// arrived complete (warp operations, then the block barrier) and their threads become runnable
// again. A round in which nothing can complete while threads still wait is a deadlock, reported as
// an EmulationError naming who waits where.
#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "core/backend/cuda/emulation/fiber.h"
#include "core/backend/cuda/emulation/grid_runner.h"
#include "core/backend/cuda/emulation/schedule.h"
#include "core/backend/cuda/emulation/thread_context.h"

namespace eaglerun::cuda::emulation {

namespace {

constexpr uint32_t warp_size = 32;

enum class ThreadState : uint8_t { Runnable, Waiting, Finished, Stopped };

std::string site_text(const std::source_location& site) {
  return std::string(site.file_name()) + ":" + std::to_string(site.line());
}

bool same_site(const std::source_location& a, const std::source_location& b) {
  return a.line() == b.line() && a.column() == b.column() && std::strcmp(a.file_name(), b.file_name()) == 0;
}

const char* meeting_name(const Meeting& m) {
  switch (m.kind) {
    case MeetingKind::None:
      return "nothing";
    case MeetingKind::SyncThreads:
      return "__syncthreads";
    case MeetingKind::SyncWarp:
      return "__syncwarp";
    case MeetingKind::Vote:
      return m.vote == VoteMode::Ballot ? "__ballot_sync" : m.vote == VoteMode::All ? "__all_sync" : "__any_sync";
    case MeetingKind::Shuffle:
      switch (m.shuffle) {
        case ShuffleMode::Index:
          return "__shfl_sync";
        case ShuffleMode::Up:
          return "__shfl_up_sync";
        case ShuffleMode::Down:
          return "__shfl_down_sync";
        case ShuffleMode::Xor:
          return "__shfl_xor_sync";
      }
  }
  return "?";
}

bool is_warp_meeting(const Meeting& m) {
  return m.kind == MeetingKind::SyncWarp || m.kind == MeetingKind::Shuffle || m.kind == MeetingKind::Vote;
}

std::string dim_text(uint3 v) {
  char text[48];
  std::snprintf(text, sizeof text, "(%u,%u,%u)", v.x, v.y, v.z);
  return text;
}

thread_local ThreadContext* running_thread = nullptr;

// Fiber stacks of this OS thread, kept between launches.
std::vector<std::unique_ptr<FiberStack>>& stack_pool(std::size_t at_least) {
  thread_local std::vector<std::unique_ptr<FiberStack>> pool;
  while (pool.size() < at_least) pool.push_back(std::make_unique<FiberStack>(fiber_stack_bytes()));
  return pool;
}

}  // namespace

class BlockRun {
 public:
  BlockRun(const LaunchShape& shape, const std::function<void()>& body, std::byte* shared)
      : shape_(shape), body_(body), shared_(shared) {
    const uint32_t n = shape.block.x * shape.block.y * shape.block.z;
    threads_.resize(n);
    stacks_ = &stack_pool(n);
  }

  // Runs the block with index block_idx to completion; throws EmulationError.
  void run(uint3 block_idx, uint64_t block_number, const Schedule& schedule) {
    block_idx_ = block_idx;
    error_.clear();
    const auto n = static_cast<uint32_t>(threads_.size());
    for (uint32_t i = 0; i < n; ++i) {
      ThreadSlot& slot = threads_[i];
      ThreadContext& t = slot.context;
      t.linear = i;
      t.thread_idx = uint3{i % shape_.block.x, i / shape_.block.x % shape_.block.y,
                           i / (shape_.block.x * shape_.block.y)};
      t.block_idx = block_idx;
      t.block_dim = shape_.block;
      t.grid_dim = shape_.grid;
      t.block = this;
      t.meeting = Meeting{};
      slot.state = ThreadState::Runnable;
      slot.fiber.start(*(*stacks_)[i], &BlockRun::thread_main, &slot);
    }
    for (uint64_t round = 0;; ++round) {
      for (uint32_t i : visiting_order(schedule, n, block_number * 0x100000001B3ull + round)) {
        ThreadSlot& slot = threads_[i];
        if (slot.state != ThreadState::Runnable) continue;
        running_thread = &slot.context;
        slot.fiber.resume();
        running_thread = nullptr;
        if (!error_.empty()) throw EmulationError(prefix() + error_);
      }
      if (std::all_of(threads_.begin(), threads_.end(),
                      [](const ThreadSlot& s) { return s.state == ThreadState::Finished; })) {
        return;
      }
      bool progressed = complete_warp_meetings();
      if (error_.empty()) progressed = complete_barrier() || progressed;
      if (!error_.empty()) throw EmulationError(prefix() + error_);
      if (!progressed) throw EmulationError(prefix() + "deadlock: " + describe_waiting());
    }
  }

  std::byte* shared() const { return shared_; }

  // Fiber side: waits at the thread's meeting.
  uint64_t meet(ThreadContext& t) {
    ThreadSlot& slot = slot_of(t);
    slot.state = ThreadState::Waiting;
    slot.fiber.suspend();
    return t.meeting.result;
  }

  // Fiber side: stops the launch. The thread's stack unwinds to thread_main (so the kernel's and the
  // caller's temporaries are destroyed), which returns to the scheduler; the scheduler then throws.
  [[noreturn]] void fail(ThreadContext& t, const std::string& message) {
    error_ = "thread " + dim_text(t.thread_idx) + ": " + message;
    throw ThreadStopped{};
  }

 private:
  struct ThreadSlot {
    ThreadContext context;
    Fiber fiber;
    ThreadState state = ThreadState::Runnable;
  };

  struct ThreadStopped {};

  static void thread_main(void* argument) {
    auto* slot = static_cast<ThreadSlot*>(argument);
    BlockRun* block = slot->context.block;
    try {
      block->body_();
    } catch (const ThreadStopped&) {
      slot->state = ThreadState::Stopped;
      return;
    } catch (const std::exception& e) {
      block->error_ = "thread " + dim_text(slot->context.thread_idx) + " threw: " + e.what();
    } catch (...) {
      block->error_ = "thread " + dim_text(slot->context.thread_idx) + " threw a non-standard exception";
    }
    slot->state = ThreadState::Finished;
  }

  ThreadSlot& slot_of(ThreadContext& t) { return threads_[t.linear]; }

  std::string prefix() const { return "CUDA emulation: block " + dim_text(block_idx_) + ": "; }

  uint32_t lanes_in_warp(uint32_t warp) const {
    return std::min<uint32_t>(warp_size, static_cast<uint32_t>(threads_.size()) - warp * warp_size);
  }

  // Completes every warp operation whose lanes have all arrived; false if none could.
  bool complete_warp_meetings() {
    bool progressed = false;
    const auto warps = static_cast<uint32_t>((threads_.size() + warp_size - 1) / warp_size);
    for (uint32_t w = 0; w < warps && error_.empty(); ++w) {
      const uint32_t base = w * warp_size;
      const uint32_t lanes = lanes_in_warp(w);
      uint32_t done = 0;
      for (uint32_t lane = 0; lane < lanes && error_.empty(); ++lane) {
        const ThreadSlot& slot = threads_[base + lane];
        if (slot.state != ThreadState::Waiting || !is_warp_meeting(slot.context.meeting) || (done >> lane & 1u)) {
          continue;
        }
        if (try_complete_warp_meeting(w, lane)) {
          done |= slot.context.meeting.mask;
          progressed = true;
        }
      }
    }
    return progressed;
  }

  // The meeting lane `lane` of warp w waits at: completes it if all its lanes are there.
  bool try_complete_warp_meeting(uint32_t w, uint32_t lane) {
    const uint32_t base = w * warp_size;
    const uint32_t lanes = lanes_in_warp(w);
    const Meeting& m = threads_[base + lane].context.meeting;
    const std::string where = std::string(meeting_name(m)) + " at " + site_text(m.site);
    const uint32_t present = lanes == warp_size ? ~0u : (1u << lanes) - 1u;
    if ((m.mask & ~present) != 0) {
      error_ = "warp " + std::to_string(w) + ": " + where + " has mask " + hex(m.mask) + ", which names lanes the warp's " +
               std::to_string(lanes) + " threads do not have";
      return false;
    }
    for (uint32_t k = 0; k < lanes; ++k) {
      if (!(m.mask >> k & 1u)) continue;
      const ThreadSlot& other = threads_[base + k];
      if (other.state == ThreadState::Finished) {
        error_ = "warp " + std::to_string(w) + ": " + where + " waits for lane " + std::to_string(k) +
                 ", which has exited";
        return false;
      }
      if (other.state != ThreadState::Waiting || !is_warp_meeting(other.context.meeting)) return false;
    }
    for (uint32_t k = 0; k < lanes; ++k) {
      if (!(m.mask >> k & 1u)) continue;
      const Meeting& o = threads_[base + k].context.meeting;
      if (o.kind != m.kind || o.mask != m.mask || o.shuffle != m.shuffle || o.vote != m.vote || o.width != m.width ||
          o.value_bytes != m.value_bytes) {
        error_ = "warp " + std::to_string(w) + ": lane " + std::to_string(lane) + " is at " + where + " (mask " +
                 hex(m.mask) + ") but lane " + std::to_string(k) + " at " + meeting_name(o) + " at " +
                 site_text(o.site) + " (mask " + hex(o.mask) + ")";
        return false;
      }
    }
    if (m.kind == MeetingKind::Shuffle) {
      complete_shuffle(w, m.mask);
    } else if (m.kind == MeetingKind::Vote) {
      complete_vote(w, m.mask);
    }
    if (!error_.empty()) return false;
    for (uint32_t k = 0; k < lanes; ++k) {
      if (m.mask >> k & 1u) threads_[base + k].state = ThreadState::Runnable;
    }
    return true;
  }

  void complete_shuffle(uint32_t w, unsigned mask) {
    const uint32_t base = w * warp_size;
    for (uint32_t lane = 0; lane < warp_size; ++lane) {
      if (!(mask >> lane & 1u)) continue;
      Meeting& m = threads_[base + lane].context.meeting;
      const auto width = static_cast<uint32_t>(m.width);
      const uint32_t segment = lane / width * width;
      const auto operand = static_cast<uint32_t>(m.operand);
      uint32_t source = lane;
      switch (m.shuffle) {
        case ShuffleMode::Index:
          source = segment + (operand & (width - 1));
          break;
        case ShuffleMode::Up:
          source = lane - segment >= operand ? lane - operand : lane;
          break;
        case ShuffleMode::Down:
          source = lane - segment + operand < width ? lane + operand : lane;
          break;
        case ShuffleMode::Xor:
          source = lane ^ operand;
          if (source >= segment + width || source >= warp_size) source = lane;  // later segments: own value
          break;
      }
      if (!(mask >> source & 1u)) {
        error_ = "warp " + std::to_string(w) + ": lane " + std::to_string(lane) + " of " + meeting_name(m) + " at " +
                 site_text(m.site) + " reads lane " + std::to_string(source) + ", which is not in mask " + hex(mask);
        return;
      }
      m.result = threads_[base + source].context.meeting.value;
    }
  }

  void complete_vote(uint32_t w, unsigned mask) {
    const uint32_t base = w * warp_size;
    uint64_t ballot = 0;
    for (uint32_t lane = 0; lane < warp_size; ++lane) {
      if ((mask >> lane & 1u) && threads_[base + lane].context.meeting.value != 0) ballot |= 1ull << lane;
    }
    for (uint32_t lane = 0; lane < warp_size; ++lane) {
      if (!(mask >> lane & 1u)) continue;
      Meeting& m = threads_[base + lane].context.meeting;
      switch (m.vote) {
        case VoteMode::Any:
          m.result = ballot != 0;
          break;
        case VoteMode::All:
          m.result = ballot == mask;
          break;
        case VoteMode::Ballot:
          m.result = ballot;
          break;
      }
    }
  }

  // Releases the block barrier when every thread waits at the same __syncthreads().
  bool complete_barrier() {
    std::size_t at_barrier = 0;
    std::size_t finished = 0;
    const ThreadSlot* first = nullptr;
    for (const ThreadSlot& s : threads_) {
      if (s.state == ThreadState::Finished) ++finished;
      if (s.state == ThreadState::Waiting && s.context.meeting.kind == MeetingKind::SyncThreads) {
        ++at_barrier;
        if (first == nullptr) first = &s;
      }
    }
    if (at_barrier == 0) return false;
    const std::string where = "__syncthreads at " + site_text(first->context.meeting.site);
    if (at_barrier + finished == threads_.size() && finished > 0) {
      error_ = where + " is reached by " + std::to_string(at_barrier) + " of " + std::to_string(threads_.size()) +
               " threads; the other " + std::to_string(finished) + " have exited";
      return false;
    }
    if (at_barrier < threads_.size()) return false;
    for (const ThreadSlot& s : threads_) {
      if (!same_site(s.context.meeting.site, first->context.meeting.site)) {
        error_ = "threads meet at different barriers: thread " + dim_text(first->context.thread_idx) + " at " +
                 where + ", thread " + dim_text(s.context.thread_idx) + " at __syncthreads at " +
                 site_text(s.context.meeting.site);
        return false;
      }
    }
    for (ThreadSlot& s : threads_) s.state = ThreadState::Runnable;
    return true;
  }

  // "12 threads at __syncthreads at f.cu:10, 20 at __shfl_xor_sync at f.cu:20, 32 exited".
  std::string describe_waiting() const {
    std::map<std::string, std::size_t> groups;
    std::size_t finished = 0;
    for (const ThreadSlot& s : threads_) {
      if (s.state == ThreadState::Finished) {
        ++finished;
      } else {
        const Meeting& m = s.context.meeting;
        std::string key = std::string(meeting_name(m)) + " at " + site_text(m.site);
        if (is_warp_meeting(m)) key += " (mask " + hex(m.mask) + ")";
        ++groups[key];
      }
    }
    std::string text;
    for (const auto& [where, count] : groups) {
      text += (text.empty() ? "" : ", ") + std::to_string(count) + " threads wait at " + where;
    }
    if (finished > 0) text += ", " + std::to_string(finished) + " threads have exited";
    return text;
  }

  static std::string hex(unsigned v) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", v);
    return text;
  }

  const LaunchShape& shape_;
  const std::function<void()>& body_;
  std::byte* shared_;
  std::vector<ThreadSlot> threads_;
  std::vector<std::unique_ptr<FiberStack>>* stacks_ = nullptr;
  uint3 block_idx_{};
  std::string error_;
};

ThreadContext& current_thread() {
  if (running_thread == nullptr) {
    std::fprintf(stderr, "CUDA emulation: a device function was called outside a kernel launch\n");
    std::abort();
  }
  return *running_thread;
}

uint64_t meet(const Meeting& meeting) {
  ThreadContext& t = current_thread();
  t.meeting = meeting;
  return t.block->meet(t);
}

void fail_launch(const std::string& message) {
  ThreadContext& t = current_thread();
  t.block->fail(t, message);
}

std::byte* dynamic_shared_memory() { return current_thread().block->shared(); }

void run_grid(const LaunchShape& shape, const std::function<void()>& thread_body) {
  const dim3 g = shape.grid;
  const dim3 b = shape.block;
  const uint64_t threads = static_cast<uint64_t>(b.x) * b.y * b.z;
  const bool valid = g.x >= 1 && g.y >= 1 && g.z >= 1 && g.x <= 0x7FFFFFFFu && g.y <= 65535 && g.z <= 65535 &&
                     b.x >= 1 && b.y >= 1 && b.z >= 1 && b.x <= 1024 && b.y <= 1024 && b.z <= 64 && threads <= 1024;
  if (!valid) {
    throw EmulationError("CUDA emulation: invalid launch configuration: grid " + dim_text(uint3{g.x, g.y, g.z}) +
                         ", block " + dim_text(uint3{b.x, b.y, b.z}));
  }
  if (shape.dynamic_shared_bytes > max_dynamic_shared_bytes) {
    throw EmulationError("CUDA emulation: " + std::to_string(shape.dynamic_shared_bytes) +
                         " bytes of dynamic shared memory exceed the 48 KiB a launch gets without opting in");
  }
  if (running_thread != nullptr) throw EmulationError("CUDA emulation: a kernel launched another kernel");
  std::vector<std::byte> shared(shape.dynamic_shared_bytes);
  const Schedule schedule = current_schedule();
  const uint64_t blocks = static_cast<uint64_t>(g.x) * g.y * g.z;
  if (blocks > 0xFFFFFFFFull) throw EmulationError("CUDA emulation: more than 2^32 blocks");
  BlockRun block(shape, thread_body, shared.data());
  for (uint32_t i : visiting_order(schedule, static_cast<uint32_t>(blocks), 0)) {
    std::fill(shared.begin(), shared.end(), std::byte{0xFF});
    const uint3 index{i % g.x, i / g.x % g.y, static_cast<uint32_t>(i / (static_cast<uint64_t>(g.x) * g.y))};
    block.run(index, i, schedule);
  }
}

}  // namespace eaglerun::cuda::emulation
