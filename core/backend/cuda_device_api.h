#pragma once
// The CUDA runtime calls the CUDA backend makes, behind a small interface: CudartApi (real GPUs,
// cuda_device_api.cpp) and, in tests, host memory standing in for device memory so the backend's
// calling code runs with the emulated kernels (tests/cuda). Every failing call throws Error naming
// the call and the CUDA error.
//
// upload() copies through a StagingRing (staging_ring.h): a few pinned host buffers, each copied to
// the device asynchronously and reused only after an event recorded behind its copy has completed.
// The ring is written against the primitives below (pinned memory, asynchronous copies, events),
// which every DeviceApi provides, so tests drive it over an emulated stream.
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <utility>

namespace eaglerun {

class DeviceApi {
 public:
  virtual ~DeviceApi() = default;
  virtual void* malloc(int64_t bytes) = 0;  // throws Error with the bytes needed and free
  virtual void free(void* device) = 0;
  // Returns once `host` has been read (the caller may then reuse or free it); the copy itself is
  // ordered on the stream before every later call (a kernel, download, copy) and may still be running.
  virtual void upload(void* device, const void* host, int64_t bytes) = 0;
  virtual void download(void* host, const void* device, int64_t bytes) = 0;  // after every op before it
  virtual void copy(void* to, const void* from, int64_t bytes) = 0;          // device to device, in order
  virtual void zero(void* device, int64_t bytes) = 0;
  virtual cudaStream_t stream() const = 0;  // the stream every kernel of the backend runs on

  // --- the primitives StagingRing uses ---
  virtual void* malloc_pinned(int64_t bytes) = 0;  // page-locked host memory (cudaMallocHost)
  virtual void free_pinned(void* host) = 0;
  // Enqueues a copy of pinned[0, bytes) to `device` on the stream and returns at once: `pinned` must
  // stay unchanged until an event recorded after this call has completed.
  virtual void upload_async(void* device, const void* pinned, int64_t bytes) = 0;
  virtual cudaEvent_t create_event() = 0;
  virtual void destroy_event(cudaEvent_t event) = 0;
  virtual void record_event(cudaEvent_t event) = 0;  // completes when everything enqueued before it has
  virtual void wait_event(cudaEvent_t event) = 0;    // blocks the host until `event` has completed
};

// A DeviceApi that forwards every call to another (shared) one; derive to change some of them.
class ForwardingDeviceApi : public DeviceApi {
 public:
  explicit ForwardingDeviceApi(std::shared_ptr<DeviceApi> inner) : inner_(std::move(inner)) {}
  void* malloc(int64_t bytes) override { return inner_->malloc(bytes); }
  void free(void* device) override { inner_->free(device); }
  void upload(void* device, const void* host, int64_t bytes) override { inner_->upload(device, host, bytes); }
  void download(void* host, const void* device, int64_t bytes) override { inner_->download(host, device, bytes); }
  void copy(void* to, const void* from, int64_t bytes) override { inner_->copy(to, from, bytes); }
  void zero(void* device, int64_t bytes) override { inner_->zero(device, bytes); }
  cudaStream_t stream() const override { return inner_->stream(); }
  void* malloc_pinned(int64_t bytes) override { return inner_->malloc_pinned(bytes); }
  void free_pinned(void* host) override { inner_->free_pinned(host); }
  void upload_async(void* device, const void* pinned, int64_t bytes) override {
    inner_->upload_async(device, pinned, bytes);
  }
  cudaEvent_t create_event() override { return inner_->create_event(); }
  void destroy_event(cudaEvent_t event) override { inner_->destroy_event(event); }
  void record_event(cudaEvent_t event) override { inner_->record_event(event); }
  void wait_event(cudaEvent_t event) override { inner_->wait_event(event); }

 private:
  std::shared_ptr<DeviceApi> inner_;
};

// The CUDA runtime on GPU `index`: one stream. Throws Error (one line, naming the CUDA error) when
// there is no usable GPU or driver, or no GPU `index`.
std::unique_ptr<DeviceApi> make_cudart_api(int index);

}  // namespace eaglerun
