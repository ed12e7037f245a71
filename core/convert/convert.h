#pragma once
// Weight conversion (eaglerun convert): reads a GGUF file, a Hugging Face folder (config.json +
// model.safetensors or shards) or a torch.save pytorch_model.bin (a model or an EAGLE head, with
// config.json beside it) and writes a GGUF file (OUT ends in .gguf) or a safetensors folder
// (config.json + model.safetensors), storing the tensors as `type`. The rules are llama.cpp's:
//   - 1-D tensors (norms, biases) stay F32;
//   - a quantised type needs rows of a multiple of 32 elements: other tensors become F16 (one note);
//   - the token embedding and the output matrix are converted like any matrix;
//   - --keep-type-of: tensors matching a listed category ("norms" = 1-D tensors, "embedding",
//     "output") or a substring of their name keep their input type (F32 in safetensors when the
//     input is quantised).
// A tensor whose type does not change is copied byte for byte; others are dequantised to fp32 and
// encoded again (F16/BF16 round to nearest even; Q8_0/Q4_0/Q4_1 round as ggml's reference
// quantisers). Between the namings the LLaMA Q/K rows are permuted as llama.cpp's converter does
// (tensor_names.h). GGUF out keeps every metadata key of a GGUF input (tokenizer included) and sets
// general.file_type; from another source it writes the llama keys gguf_config.cpp reads and takes
// tokenizer.* keys from `tokenizer_gguf` when given. Every file is written atomically.
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "core/tensor/dtype.h"

namespace eaglerun {

struct ConvertOptions {
  std::string in;
  std::string out;
  DType type = DType::F16;
  std::vector<std::string> keep_type_of;
  std::string tokenizer_gguf;  // GGUF whose tokenizer.* keys a GGUF output from another source gets
};

struct ConvertReport {
  std::string input_kind;               // "gguf", "hf" (a Llama/Mixtral checkpoint), "head" (an EAGLE head)
  std::string output_format;            // "gguf" or "safetensors"
  std::map<std::string, int64_t> types;  // output dtype name -> tensor count
  std::vector<std::string> notes;       // what the user should know (kept types, fallbacks, tokenizer)
  uint64_t bytes = 0;                   // tensor bytes written
};

// "F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1" (any case). Throws Error otherwise.
DType parse_convert_type(const std::string& name);

// Throws Error with one line for a bad input, an impossible conversion or a failed write; OUT is
// then left as it was.
ConvertReport convert_weights(const ConvertOptions& options);

}  // namespace eaglerun
