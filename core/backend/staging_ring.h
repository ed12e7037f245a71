#pragma once
// Host -> device copies through a ring of pinned staging buffers (DeviceApi::upload on a GPU).
//
// A copy from pageable host memory cannot run asynchronously: the bytes must first be copied to
// page-locked memory, and the caller may reuse or free its buffer as soon as upload() returns. The
// ring does that copy itself, chunk by chunk:
//
//   buffers:  B slots of `buffer_bytes` pinned bytes each, allocated on the first upload
//   per chunk (at most buffer_bytes of the source, in order):
//     slot = the next slot round the ring
//     wait_event(slot.done)  if slot still has a copy in flight (its bytes may not be touched before)
//     memcpy(slot.pinned, chunk)            host -> pinned, on the CPU
//     upload_async(device + offset, slot)   pinned -> device, on the stream
//     record_event(slot.done)               completes once that copy has
//
// So the host fills one slot while the device copies the others, nothing waits for the whole
// stream, and upload() returns once the last chunk is in pinned memory, its copy still in flight:
// kernels enqueued next run after it (stream order) and the host goes on. The host waits only when
// it comes round to a slot whose copy the device has not finished. Not thread-safe: one ring per
// DeviceApi, whose calls come from one thread.
#include <cstdint>
#include <vector>

#include "core/backend/cuda_device_api.h"

namespace eaglerun {

class StagingRing {
 public:
  // `device` must outlive the ring. buffers >= 1, buffer_bytes >= 1.
  StagingRing(DeviceApi& device, int buffers, int64_t buffer_bytes);
  ~StagingRing();  // waits for the copies in flight, then frees the pinned buffers and events
  StagingRing(const StagingRing&) = delete;
  StagingRing& operator=(const StagingRing&) = delete;

  // Copies host[0, bytes) to device[0, bytes) (DeviceApi::upload's contract).
  void upload(void* device, const void* host, int64_t bytes);

  // Waits for every copy in flight (for a caller about to free the pinned buffers' DeviceApi).
  void wait_all();

 private:
  struct Slot {
    void* pinned = nullptr;         // [buffer_bytes] page-locked host bytes
    cudaEvent_t done = nullptr;     // recorded after the slot's latest copy
    bool in_flight = false;         // done recorded and not yet waited for
  };
  void allocate();
  void release() noexcept;

  DeviceApi& device_;
  int buffers_;
  int64_t buffer_bytes_;
  std::vector<Slot> slots_;  // [buffers_] once allocate() has run, else empty
  int next_ = 0;             // the slot the next chunk goes to
};

}  // namespace eaglerun
