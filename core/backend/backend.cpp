#include "core/backend/backend.h"

namespace eaglerun {

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = other.owner_;
    data_ = other.data_;
    bytes_ = other.bytes_;
    other.owner_ = nullptr;
    other.data_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

void DeviceBuffer::reset() {
  if (owner_ != nullptr && data_ != nullptr) owner_->free(data_, bytes_);
  owner_ = nullptr;
  data_ = nullptr;
  bytes_ = 0;
}

HostResult::HostResult(Backend& backend, std::vector<float>& host) : backend_(backend), host_(host) {
  if (!backend.host_memory()) device_ = backend.allocate(static_cast<int64_t>(host.size() * sizeof(float)));
}

void HostResult::download() {
  if (device_) backend_.download(host_.data(), device_.data(), device_.bytes());
}

}  // namespace eaglerun
