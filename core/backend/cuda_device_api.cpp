#include "core/backend/cuda_device_api.h"

#include <optional>
#include <string>

#include "core/backend/staging_ring.h"
#include "core/error.h"

namespace eaglerun {
namespace {

// The staging ring's size: 4 pinned buffers of 4 MiB (a chunk takes ~0.2 ms over PCIe 4 x16), so a
// weight upload keeps the copy engine busy while the host fills the next buffer.
constexpr int kStagingBuffers = 4;
constexpr int64_t kStagingBufferBytes = int64_t{4} << 20;

// Throws Error "CALL: cudaErrorName (description)" unless status is cudaSuccess.
void check(cudaError_t status, const char* call) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a sticky launch error so the message is about this call
  throw Error(std::string(call) + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

class CudartApi final : public DeviceApi {
 public:
  explicit CudartApi(int index) : index_(index) {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
      cudaGetLastError();
      throw Error("--device cuda:" + std::to_string(index) + ": no usable GPU or driver (cudaGetDeviceCount: " +
                  cudaGetErrorName(status) + ", " + cudaGetErrorString(status) + ")");
    }
    require(index < count, "--device cuda:" + std::to_string(index) + ": this machine has " + std::to_string(count) +
                               " GPU(s), numbered from 0");
    check(cudaSetDevice(index), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    staging_.emplace(*this, kStagingBuffers, kStagingBufferBytes);
  }
  ~CudartApi() override {
    staging_.reset();  // its copies are on stream_ and its buffers come from here
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
  }

  void* malloc(int64_t bytes) override {
    void* p = nullptr;
    const cudaError_t status = cudaMallocAsync(&p, static_cast<std::size_t>(bytes), stream_);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      std::size_t free = 0, total = 0;
      cudaMemGetInfo(&free, &total);
      throw Error("GPU " + std::to_string(index_) + " is out of memory: " + std::to_string(bytes) +
                  " bytes needed, " + std::to_string(free) + " free of " + std::to_string(total));
    }
    check(status, "cudaMallocAsync");
    return p;
  }
  void free(void* device) override { cudaFreeAsync(device, stream_); }
  void upload(void* device, const void* host, int64_t bytes) override { staging_->upload(device, host, bytes); }
  void download(void* host, const void* device, int64_t bytes) override {
    check(cudaMemcpyAsync(host, device, static_cast<std::size_t>(bytes), cudaMemcpyDeviceToHost, stream_),
          "cudaMemcpyAsync (from the GPU)");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  }
  void copy(void* to, const void* from, int64_t bytes) override {
    check(cudaMemcpyAsync(to, from, static_cast<std::size_t>(bytes), cudaMemcpyDeviceToDevice, stream_),
          "cudaMemcpyAsync (on the GPU)");
  }
  void zero(void* device, int64_t bytes) override {
    check(cudaMemsetAsync(device, 0, static_cast<std::size_t>(bytes), stream_), "cudaMemsetAsync");
  }
  cudaStream_t stream() const override { return stream_; }

  void* malloc_pinned(int64_t bytes) override {
    void* p = nullptr;
    check(cudaMallocHost(&p, static_cast<std::size_t>(bytes)), "cudaMallocHost");
    return p;
  }
  void free_pinned(void* host) override { check(cudaFreeHost(host), "cudaFreeHost"); }
  void upload_async(void* device, const void* pinned, int64_t bytes) override {
    check(cudaMemcpyAsync(device, pinned, static_cast<std::size_t>(bytes), cudaMemcpyHostToDevice, stream_),
          "cudaMemcpyAsync (to the GPU)");
  }
  cudaEvent_t create_event() override {
    cudaEvent_t event = nullptr;
    check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreate");
    return event;
  }
  void destroy_event(cudaEvent_t event) override { check(cudaEventDestroy(event), "cudaEventDestroy"); }
  void record_event(cudaEvent_t event) override { check(cudaEventRecord(event, stream_), "cudaEventRecord"); }
  void wait_event(cudaEvent_t event) override { check(cudaEventSynchronize(event), "cudaEventSynchronize"); }

 private:
  int index_;
  cudaStream_t stream_ = nullptr;
  std::optional<StagingRing> staging_;  // upload()'s pinned buffers (set once stream_ exists)
};

}  // namespace

std::unique_ptr<DeviceApi> make_cudart_api(int index) { return std::make_unique<CudartApi>(index); }

}  // namespace eaglerun
