#pragma once
// A ModelConfig written as the GGUF keys core/weights/gguf_config.cpp reads (llama.cpp's names),
// or as a Hugging Face config.json that parse_hf_config reads back to the same config.
#include <string>

#include "core/config/model_config.h"
#include "core/weights/gguf_writer.h"

namespace eaglerun {

// general.architecture "llama" (Mixtral: llama with expert_count, as llama.cpp writes it), the
// llama.* sizes, rope, epsilon, vocab_size, bos/eos ids; no tokenizer.
void write_gguf_config(const ModelConfig& c, GgufWriter& w);

// LlamaForCausalLM / MixtralForCausalLM config.json text.
std::string hf_config_json(const ModelConfig& c);

}  // namespace eaglerun
