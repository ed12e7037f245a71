#pragma once
// A DeviceApi whose stream is a queue that runs only when something lets it, to test StagingRing
// (core/backend/staging_ring.h) without a GPU. "Device" memory is host memory.
//
//   enqueued, not run:  upload_async, copy, zero, record_event (an event completes when the queue
//                       reaches it, as cudaEventRecord's does);
//   the device runs:    run(n) (the test lets it: the first n operations); wait_event (the host
//                       blocks: operations run up to that event); download (everything first, as
//                       after cudaStreamSynchronize); the destructor (everything).
//
// Each queued copy from pinned memory keeps a snapshot of its source as it was enqueued; when it
// runs it reads the pinned bytes as they are then (as the copy engine would) and counts a change:
// overwritten_before_copied() > 0 means the host reused a pinned buffer before its copy was done.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "core/backend/cuda_device_api.h"
#include "core/backend/staging_ring.h"

namespace eaglerun::test {

class QueuedDeviceApi final : public DeviceApi {
 public:
  // upload() goes through a StagingRing of `staging_buffers` x `staging_bytes`.
  QueuedDeviceApi(int staging_buffers, int64_t staging_bytes);
  ~QueuedDeviceApi() override;

  void* malloc(int64_t bytes) override;
  void free(void* device) override;
  void upload(void* device, const void* host, int64_t bytes) override;
  void download(void* host, const void* device, int64_t bytes) override;
  void copy(void* to, const void* from, int64_t bytes) override;
  void zero(void* device, int64_t bytes) override;
  cudaStream_t stream() const override { return nullptr; }
  void* malloc_pinned(int64_t bytes) override;
  void free_pinned(void* host) override;
  void upload_async(void* device, const void* pinned, int64_t bytes) override;
  cudaEvent_t create_event() override;
  void destroy_event(cudaEvent_t event) override;
  void record_event(cudaEvent_t event) override;
  void wait_event(cudaEvent_t event) override;

  void run(int64_t n);                       // lets the device run the first n queued operations
  int64_t queued() const { return static_cast<int64_t>(queue_.size()); }
  int64_t queued_copies() const;             // upload_async copies not yet run
  int64_t host_waits() const { return host_waits_; }  // wait_event calls that found the event pending
  int64_t overwritten_before_copied() const { return overwritten_; }
  int64_t live_pinned() const { return live_pinned_; }  // pinned buffers not yet freed

 private:
  struct Event {
    bool complete = true;  // a never-recorded event is complete (cudaEventSynchronize returns at once)
  };
  struct Op {
    enum class Kind { UploadPinned, Copy, Zero, Record } kind;
    void* to = nullptr;
    const void* from = nullptr;
    int64_t bytes = 0;
    std::vector<std::byte> snapshot;  // UploadPinned: from[0, bytes) when enqueued
    Event* event = nullptr;           // Record
  };
  void run_one();

  std::deque<Op> queue_;
  int64_t host_waits_ = 0;
  int64_t overwritten_ = 0;
  int64_t live_pinned_ = 0;
  std::optional<StagingRing> staging_;  // reset first in the destructor: it uses the calls above
};

}  // namespace eaglerun::test
