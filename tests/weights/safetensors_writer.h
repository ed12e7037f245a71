#pragma once
// Builds .safetensors images for tests: an 8-byte little-endian header length, the JSON header,
// then the data section. Tensors get consecutive offsets unless a test writes the header itself.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/weights/test_util.h"

namespace eaglerun::test {

// header: the JSON text as written; data_bytes: size of the data section (filled with a pattern).
inline Bytes safetensors_image(const std::string& header, std::size_t data_bytes) {
  Bytes b(8 + header.size() + data_bytes);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(n >> (8 * i));
  std::copy(header.begin(), header.end(), b.begin() + 8);
  for (std::size_t i = 0; i < data_bytes; ++i) b[8 + header.size() + i] = static_cast<uint8_t>(i * 7 + 1);
  return b;
}

struct StTensor {
  std::string name;
  std::string dtype;               // "F32", "F16", "BF16", ...
  std::vector<int64_t> shape;
  int elem_bytes = 4;
};

// A header for the tensors laid out back to back, plus an optional "__metadata__".
inline std::string safetensors_header(const std::vector<StTensor>& ts, std::size_t* data_bytes,
                                      const std::string& metadata = R"({"format":"pt"})") {
  std::string h = "{";
  if (!metadata.empty()) h += "\"__metadata__\":" + metadata;
  std::size_t off = 0;
  for (const StTensor& t : ts) {
    std::size_t n = static_cast<std::size_t>(t.elem_bytes);
    std::string shape;
    for (std::size_t i = 0; i < t.shape.size(); ++i) {
      n *= static_cast<std::size_t>(t.shape[i]);
      if (i) shape += ',';
      shape += std::to_string(t.shape[i]);
    }
    if (h.size() > 1) h += ',';
    h.append("\"").append(t.name).append("\":{\"dtype\":\"").append(t.dtype).append("\",\"shape\":[");
    h.append(shape).append("],\"data_offsets\":[").append(std::to_string(off)).append(",");
    h.append(std::to_string(off + n)).append("]}");
    off += n;
  }
  *data_bytes = off;
  return h + "}";
}

inline Bytes safetensors_bytes(const std::vector<StTensor>& ts) {
  std::size_t n = 0;
  const std::string h = safetensors_header(ts, &n);
  return safetensors_image(h, n);
}

// A tiny LLaMA checkpoint's tensors (a subset is enough for the loader).
inline std::vector<StTensor> tiny_llama_tensors() {
  return {{"model.embed_tokens.weight", "F32", {8, 16}, 4},
          {"model.layers.0.input_layernorm.weight", "F32", {16}, 4},
          {"model.layers.0.self_attn.q_proj.weight", "F16", {16, 16}, 2},
          {"model.layers.0.mlp.down_proj.weight", "BF16", {16, 32}, 2},
          {"model.norm.weight", "F32", {16}, 4}};
}

// config.json for that checkpoint.
inline std::string tiny_llama_config_json() {
  return R"({
  "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
  "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
  "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-6,
  "rope_theta": 500000.0, "rope_scaling": null, "max_position_embeddings": 128,
  "tie_word_embeddings": true, "vocab_size": 8, "bos_token_id": 1, "eos_token_id": [2, 3]
})";
}

}  // namespace eaglerun::test
