#pragma once
// Name -> TensorView over memory-mapped model files. Implemented by GgufFile and SafetensorsModel.
// Every tensor's offset, size and dtype was checked against the file when it was opened, so a
// TensorView handed out here is always inside the mapping.
#include <string>
#include <vector>

#include "core/config/model_config.h"
#include "core/tensor/tensor_view.h"

namespace eaglerun {

class WeightStore {
 public:
  virtual ~WeightStore() = default;
  // nullptr when absent.
  virtual const TensorView* find(const std::string& name) const = 0;
  virtual std::vector<std::string> names() const = 0;
  // The model's config, read from this source's metadata (GGUF keys or config.json).
  virtual const ModelConfig& config() const = 0;
  // Which naming scheme the tensors use: "gguf" (blk.N.attn_q.weight) or "hf" (model.layers.N.self_attn.q_proj.weight).
  virtual std::string naming() const = 0;
  // Where the weights came from (file or directory path), for error messages.
  virtual std::string source() const { return naming() + " weights"; }

  // Throws Error("missing tensor NAME in FILE") when absent.
  const TensorView& get(const std::string& name) const;
  // As get(), and also checks the shape (outermost first). Throws Error naming both shapes.
  const TensorView& get(const std::string& name, const std::vector<int64_t>& expected_shape) const;
};

}  // namespace eaglerun
