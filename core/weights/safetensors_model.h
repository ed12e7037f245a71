#pragma once
// Hugging Face safetensors checkpoints (single file or sharded with model.safetensors.index.json)
// plus config.json, for LlamaForCausalLM and MixtralForCausalLM. F32/F16/BF16 tensors.
// Each shard is memory-mapped; the JSON header's offsets, sizes and dtypes are validated on open.
// Format: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
// then the data section; offsets are relative to the data section.
#include <memory>
#include <string>

#include "core/weights/weight_store.h"

namespace eaglerun {

class SafetensorsModel final : public WeightStore {
 public:
  // dir holds config.json and either model.safetensors or model.safetensors.index.json.
  static std::unique_ptr<SafetensorsModel> open_dir(const std::string& dir);
  // A single .safetensors file and an explicit config.json path.
  static std::unique_ptr<SafetensorsModel> open_files(const std::string& safetensors_path,
                                                      const std::string& config_json_path);

  const TensorView* find(const std::string& name) const override;
  std::vector<std::string> names() const override;
  const ModelConfig& config() const override;
  std::string naming() const override { return "hf"; }
  std::string source() const override;
  ~SafetensorsModel() override;

 private:
  struct Impl;
  explicit SafetensorsModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses a Hugging Face config.json text (LlamaForCausalLM / MixtralForCausalLM) into a ModelConfig.
// Throws Error naming the key for a missing/ill-typed key or an unknown architecture.
ModelConfig parse_hf_config(const std::string& json_text, const std::string& source_name);

}  // namespace eaglerun
