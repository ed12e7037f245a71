#pragma once
// Writes GGUF v3 files: metadata (copied from another file's GgufValue or set from plain values),
// tensor infos (dims innermost first, offsets aligned), padding, then each tensor's bytes, streamed
// one tensor at a time so a whole model never has to sit in memory. Written atomically
// (AtomicFile: PATH.partial, then rename).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor/dtype.h"
#include "core/weights/gguf_value.h"

namespace eaglerun {

// The GGML type id GGUF stores for a dtype (F32 0, F16 1, Q4_0 2, Q4_1 3, Q8_0 8, BF16 30).
uint32_t ggml_type_id(DType t);
// llama.cpp's general.file_type (enum llama_ftype) for a model mostly of dtype t.
uint32_t gguf_file_type(DType t);

class GgufWriter {
 public:
  explicit GgufWriter(uint64_t alignment = 32);  // a power of two; also written as general.alignment if not 32

  // Adds or replaces a key (a replaced key keeps its place).
  void set(const std::string& key, const GgufValue& value);  // copies the value's bytes
  void set_string(const std::string& key, const std::string& v);
  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_f32(const std::string& key, float v);
  void set_bool(const std::string& key, bool v);
  void remove(const std::string& key);
  bool has(const std::string& key) const;

  // shape outermost first, as TensorView has it.
  void add_tensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape);
  std::size_t tensor_count() const { return tensors_.size(); }

  // Writes the file. produce(i, bytes) must fill `bytes` (already sized) with tensor i's data.
  // Throws Error when a file operation fails or produce throws.
  void write(const std::string& path, const std::function<void(std::size_t, std::vector<std::byte>&)>& produce) const;

 private:
  struct Kv {
    std::string key;
    std::vector<std::byte> encoded;  // type id + value
  };
  struct Tensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    uint64_t nbytes;
  };
  void put(const std::string& key, std::vector<std::byte> encoded);

  uint64_t alignment_;
  std::vector<Kv> kvs_;
  std::vector<Tensor> tensors_;
};

}  // namespace eaglerun
