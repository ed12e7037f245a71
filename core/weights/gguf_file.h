#pragma once
// GGUF v2/v3 reader: header, metadata of every value type, tensor infos, alignment, then a
// memory-mapped data section. Every tensor's offset, size and dtype is validated on open.
// Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/weights/gguf_metadata.h"
#include "core/weights/mapped_file.h"
#include "core/weights/weight_store.h"

namespace eaglerun {

class GgufFile final : public WeightStore {
 public:
  // Throws Error("PATH: <what is wrong>") for any malformed or unsupported file.
  static std::unique_ptr<GgufFile> open(const std::string& path);
  // Parses a GGUF image already in memory (tests, fuzzing). The buffer must outlive the result;
  // source names it in error messages.
  static std::unique_ptr<GgufFile> parse(const std::byte* data, std::size_t size, const std::string& source);

  uint32_t version() const;
  const std::string& path() const;

  // Metadata. Each getter throws Error("PATH: metadata key KEY missing" / "has type T, expected U").
  bool has(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  int64_t get_int(const std::string& key) const;      // any integer type
  double get_float(const std::string& key) const;     // float32/float64 (integers accepted)
  bool get_bool(const std::string& key) const;
  std::vector<std::string> get_string_array(const std::string& key) const;
  std::vector<int64_t> get_int_array(const std::string& key) const;   // any integer element type
  std::vector<double> get_float_array(const std::string& key) const;
  std::vector<std::string> metadata_keys() const;
  // Every key/value in file order, values as stored (for copying them to another file).
  const GgufMetadata& metadata() const;
  // Every tensor, in file order.
  const std::vector<TensorView>& tensors() const;
  // The data section's alignment in bytes (general.alignment or 32).
  uint64_t alignment() const;

  // WeightStore
  const TensorView* find(const std::string& name) const override;
  std::vector<std::string> names() const override;
  const ModelConfig& config() const override;  // built from "<arch>.*" keys; throws on unknown arch
  std::string naming() const override { return "gguf"; }
  std::string source() const override { return path(); }

  ~GgufFile() override;

 private:
  struct Impl;
  explicit GgufFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eaglerun
