#include "tests/cuda/queued_device_api.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/error.h"

namespace eaglerun::test {

QueuedDeviceApi::QueuedDeviceApi(int staging_buffers, int64_t staging_bytes) {
  staging_.emplace(*this, staging_buffers, staging_bytes);
}

QueuedDeviceApi::~QueuedDeviceApi() {
  staging_.reset();  // waits for its copies, frees its buffers
  run(queued());
}

void* QueuedDeviceApi::malloc(int64_t bytes) {
  require(bytes > 0, "QueuedDeviceApi::malloc: no bytes");
  return ::operator new(static_cast<std::size_t>(bytes));
}

void QueuedDeviceApi::free(void* device) {
  run(queued());  // the queue may still write to it (cudaFreeAsync is ordered on the stream too)
  ::operator delete(device);
}

void QueuedDeviceApi::upload(void* device, const void* host, int64_t bytes) { staging_->upload(device, host, bytes); }

void QueuedDeviceApi::download(void* host, const void* device, int64_t bytes) {
  run(queued());
  std::memcpy(host, device, static_cast<std::size_t>(bytes));
}

void QueuedDeviceApi::copy(void* to, const void* from, int64_t bytes) {
  queue_.push_back({Op::Kind::Copy, to, from, bytes, {}, nullptr});
}

void QueuedDeviceApi::zero(void* device, int64_t bytes) {
  queue_.push_back({Op::Kind::Zero, device, nullptr, bytes, {}, nullptr});
}

void* QueuedDeviceApi::malloc_pinned(int64_t bytes) {
  require(bytes > 0, "QueuedDeviceApi::malloc_pinned: no bytes");
  ++live_pinned_;
  return ::operator new(static_cast<std::size_t>(bytes));
}

void QueuedDeviceApi::free_pinned(void* host) {
  --live_pinned_;
  ::operator delete(host);
}

void QueuedDeviceApi::upload_async(void* device, const void* pinned, int64_t bytes) {
  const auto* p = static_cast<const std::byte*>(pinned);
  queue_.push_back({Op::Kind::UploadPinned, device, pinned, bytes, std::vector<std::byte>(p, p + bytes), nullptr});
}

cudaEvent_t QueuedDeviceApi::create_event() { return reinterpret_cast<cudaEvent_t>(new Event); }

void QueuedDeviceApi::destroy_event(cudaEvent_t event) {
  Event* e = reinterpret_cast<Event*>(event);
  require(std::none_of(queue_.begin(), queue_.end(), [e](const Op& op) { return op.event == e; }),
          "QueuedDeviceApi: an event destroyed while its record is queued");
  delete e;
}

void QueuedDeviceApi::record_event(cudaEvent_t event) {
  Event* e = reinterpret_cast<Event*>(event);
  e->complete = false;
  queue_.push_back({Op::Kind::Record, nullptr, nullptr, 0, {}, e});
}

void QueuedDeviceApi::wait_event(cudaEvent_t event) {
  const Event* e = reinterpret_cast<const Event*>(event);
  if (e->complete) return;
  ++host_waits_;
  while (!e->complete) run_one();  // the host blocks; the device goes on up to the event
}

void QueuedDeviceApi::run(int64_t n) {
  for (int64_t i = 0; i < n && !queue_.empty(); ++i) run_one();
}

int64_t QueuedDeviceApi::queued_copies() const {
  return std::count_if(queue_.begin(), queue_.end(), [](const Op& op) { return op.kind == Op::Kind::UploadPinned; });
}

void QueuedDeviceApi::run_one() {
  require(!queue_.empty(), "QueuedDeviceApi: waiting for an event that was never recorded");
  Op op = std::move(queue_.front());
  queue_.pop_front();
  const auto n = static_cast<std::size_t>(op.bytes);
  switch (op.kind) {
    case Op::Kind::UploadPinned:
      if (std::memcmp(op.from, op.snapshot.data(), n) != 0) ++overwritten_;
      std::memcpy(op.to, op.from, n);
      break;
    case Op::Kind::Copy:
      std::memmove(op.to, op.from, n);
      break;
    case Op::Kind::Zero:
      std::memset(op.to, 0, n);
      break;
    case Op::Kind::Record:
      op.event->complete = true;
      break;
  }
}

}  // namespace eaglerun::test
