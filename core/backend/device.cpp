#include "core/backend/device.h"

#include <charconv>

#include "core/backend/cpu_backend.h"
#include "core/error.h"

namespace eaglerun {

std::string DeviceSpec::to_string() const {
  return kind == Kind::Cpu ? "cpu" : "cuda:" + std::to_string(index);
}

DeviceSpec parse_device(std::string_view text) {
  const std::string bad = "--device must be cpu, cuda or cuda:N (N a GPU ordinal), not '" + std::string(text) + "'";
  if (text == "cpu") return {DeviceSpec::Kind::Cpu, 0};
  if (text == "cuda") return {DeviceSpec::Kind::Cuda, 0};
  require(text.starts_with("cuda:") && text.size() > 5, bad);
  const std::string_view digits = text.substr(5);
  int index = -1;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  require(ec == std::errc() && end == digits.data() + digits.size() && index >= 0, bad);
  return {DeviceSpec::Kind::Cuda, index};
}

namespace {
CudaBackendFactory cuda_factory = nullptr;
}

void set_cuda_backend_factory(CudaBackendFactory factory) { cuda_factory = factory; }

std::shared_ptr<Backend> make_backend(const DeviceSpec& device, ThreadPool& pool, Precision precision) {
  if (device.kind == DeviceSpec::Kind::Cpu) return std::make_shared<CpuBackend>(pool, precision);
  require(cuda_factory != nullptr, "--device " + device.to_string() +
                                       ": this build has no CUDA backend (configure with -DEAGLERUN_CUDA=ON where "
                                       "the CUDA toolkit is installed)");
  return cuda_factory(device.index);
}

}  // namespace eaglerun
