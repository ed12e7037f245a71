// tokenizer_from_gguf: reads tokenizer.ggml.* metadata and builds the matching tokenizer.
//   model "gpt2"  -> BpeTokenizer (tokens, merges, token_type, pre; pre defaults to "gpt2" when absent)
//   model "llama" -> SentencePiece BPE built from tokens, scores and token_type
#include <algorithm>

#include "core/error.h"
#include "core/tokenizer/bpe_tokenizer.h"
#include "core/tokenizer/sentencepiece_tokenizer.h"
#include "core/tokenizer/spm_model_proto.h"
#include "core/tokenizer/tokenizer.h"
#include "core/weights/gguf_file.h"

namespace eaglerun {
namespace {

int32_t optional_id(const GgufFile& gguf, const std::string& key) {
  return gguf.has(key) ? static_cast<int32_t>(gguf.get_int(key)) : -1;
}

std::vector<int32_t> token_types(const GgufFile& gguf, size_t n) {
  std::vector<int32_t> types;
  if (!gguf.has("tokenizer.ggml.token_type")) return std::vector<int32_t>(n, 1);
  for (int64_t t : gguf.get_int_array("tokenizer.ggml.token_type")) types.push_back(static_cast<int32_t>(t));
  return types;
}

std::unique_ptr<Tokenizer> bpe_from_gguf(const GgufFile& gguf) {
  BpeVocab v;
  v.tokens = gguf.get_string_array("tokenizer.ggml.tokens");
  v.merges = gguf.get_string_array("tokenizer.ggml.merges");
  v.token_types = token_types(gguf, v.tokens.size());
  if (gguf.has("tokenizer.ggml.pre")) v.pre = gguf.get_string("tokenizer.ggml.pre");
  v.bos_id = optional_id(gguf, "tokenizer.ggml.bos_token_id");
  v.eos_id = optional_id(gguf, "tokenizer.ggml.eos_token_id");
  try {
    return std::make_unique<BpeTokenizer>(v);
  } catch (const Error& e) {
    throw Error(gguf.path() + ": " + e.what());
  }
}

std::unique_ptr<Tokenizer> spm_from_gguf(const GgufFile& gguf) {
  SpmVocab v;
  v.pieces = gguf.get_string_array("tokenizer.ggml.tokens");
  for (double s : gguf.get_float_array("tokenizer.ggml.scores")) v.scores.push_back(static_cast<float>(s));
  v.types = token_types(gguf, v.pieces.size());
  v.bos_id = optional_id(gguf, "tokenizer.ggml.bos_token_id");
  v.eos_id = optional_id(gguf, "tokenizer.ggml.eos_token_id");
  if (gguf.has("tokenizer.ggml.add_space_prefix")) v.add_dummy_prefix = gguf.get_bool("tokenizer.ggml.add_space_prefix");
  if (gguf.has("tokenizer.ggml.remove_extra_whitespaces")) {
    v.remove_extra_whitespaces = gguf.get_bool("tokenizer.ggml.remove_extra_whitespaces");
  }
  std::string proto;
  try {
    proto = serialize_spm_model(v);
  } catch (const Error& e) {
    throw Error(gguf.path() + ": " + e.what());
  }
  return tokenizer_from_sentencepiece_proto(proto, gguf.path());
}

}  // namespace

std::unique_ptr<Tokenizer> tokenizer_from_gguf(const GgufFile& gguf) {
  const std::string model = gguf.get_string("tokenizer.ggml.model");
  if (model == "gpt2") return bpe_from_gguf(gguf);
  if (model == "llama") return spm_from_gguf(gguf);
  throw Error(gguf.path() + ": unsupported tokenizer.ggml.model '" + model + "' (supported: gpt2, llama)");
}

}  // namespace eaglerun
