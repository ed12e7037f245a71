#include "core/weights/safetensors_writer.h"

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/weights/atomic_file.h"
#include "core/kernels/matmul.h"

namespace eaglerun {
namespace {

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// The bytes of n values in `dtype`.
std::string encode(const float* v, int64_t n, const std::string& dtype) {
  std::string bytes;
  if (dtype == "F32") {
    bytes.resize(static_cast<std::size_t>(n) * 4);
    std::memcpy(bytes.data(), v, bytes.size());
    return bytes;
  }
  bytes.resize(static_cast<std::size_t>(n) * 2);
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = dtype == "BF16" ? fp32_to_bf16(v[i]) : fp32_to_fp16(v[i]);
    std::memcpy(bytes.data() + 2 * i, &h, 2);
  }
  return bytes;
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors, const std::string& dtype) {
  require(dtype == "F32" || dtype == "F16" || dtype == "BF16", "safetensors dtype must be F32, F16 or BF16");
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::vector<std::string> data;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    data.push_back(encode(t.values, numel(t.shape), dtype));
    header[t.name] = {{"dtype", dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + data.back().size()}}};
    offset += data.back().size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  require(out.good(), "cannot write '" + path + "'");
  const uint64_t len = text.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const std::string& d : data) out.write(d.data(), static_cast<std::streamsize>(d.size()));
  require(out.good(), "failed while writing '" + path + "'");
}

void write_safetensors(const std::string& path, const std::vector<StreamedTensor>& tensors,
                       const std::function<void(std::size_t, std::vector<std::byte>&)>& produce) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::vector<std::size_t> sizes;
  uint64_t offset = 0;
  for (const StreamedTensor& t : tensors) {
    require(!is_quantised(t.dtype), "safetensors cannot hold " + std::string(dtype_info(t.dtype).name) + " tensor '" +
                                        t.name + "' (F32, F16 and BF16 only)");
    const char* name = t.dtype == DType::F32 ? "F32" : t.dtype == DType::F16 ? "F16" : "BF16";
    sizes.push_back(storage_bytes(t.dtype, numel(t.shape)));
    header[t.name] = {{"dtype", name}, {"shape", t.shape}, {"data_offsets", {offset, offset + sizes.back()}}};
    offset += sizes.back();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  AtomicFile out(path);
  const uint64_t len = text.size();
  out.write(&len, 8);
  out.write(text.data(), text.size());
  std::vector<std::byte> bytes;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    bytes.assign(sizes[i], std::byte{0});
    produce(i, bytes);
    out.write(bytes.data(), bytes.size());
  }
  out.commit();
}

}  // namespace eaglerun
