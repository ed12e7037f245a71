#include "core/backend/staging_ring.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace eaglerun {

StagingRing::StagingRing(DeviceApi& device, int buffers, int64_t buffer_bytes)
    : device_(device), buffers_(buffers), buffer_bytes_(buffer_bytes) {
  require(buffers >= 1 && buffer_bytes >= 1, "StagingRing: needs at least one buffer of at least one byte");
}

StagingRing::~StagingRing() { release(); }

void StagingRing::allocate() {
  slots_.reserve(static_cast<std::size_t>(buffers_));
  try {
    for (int i = 0; i < buffers_; ++i) {
      Slot slot;
      slot.pinned = device_.malloc_pinned(buffer_bytes_);
      try {
        slot.done = device_.create_event();
      } catch (...) {
        device_.free_pinned(slot.pinned);
        throw;
      }
      slots_.push_back(slot);
    }
  } catch (...) {
    release();
    throw;
  }
}

void StagingRing::upload(void* device, const void* host, int64_t bytes) {
  if (bytes <= 0) return;
  if (slots_.empty()) allocate();
  auto* to = static_cast<std::byte*>(device);
  const auto* from = static_cast<const std::byte*>(host);
  for (int64_t offset = 0; offset < bytes; offset += buffer_bytes_) {
    const int64_t chunk = std::min(buffer_bytes_, bytes - offset);
    Slot& slot = slots_[static_cast<std::size_t>(next_)];
    if (slot.in_flight) {
      device_.wait_event(slot.done);  // the device has read this slot's previous chunk
      slot.in_flight = false;
    }
    std::memcpy(slot.pinned, from + offset, static_cast<std::size_t>(chunk));
    device_.upload_async(to + offset, slot.pinned, chunk);
    device_.record_event(slot.done);
    slot.in_flight = true;
    next_ = (next_ + 1) % buffers_;
  }
}

void StagingRing::wait_all() {
  for (Slot& slot : slots_) {
    if (!slot.in_flight) continue;
    device_.wait_event(slot.done);
    slot.in_flight = false;
  }
}

void StagingRing::release() noexcept {
  for (Slot& slot : slots_) {
    // A failing wait means the device is lost: its copies will not read the buffer any more.
    try {
      if (slot.in_flight) device_.wait_event(slot.done);
    } catch (...) {
    }
    try {
      device_.destroy_event(slot.done);
    } catch (...) {
    }
    try {
      device_.free_pinned(slot.pinned);
    } catch (...) {
    }
  }
  slots_.clear();
  next_ = 0;
}

}  // namespace eaglerun
