#include "core/weights/gguf_config.h"

#include <limits>

#include "core/error.h"
#include "core/weights/display_name.h"

namespace eaglerun {
namespace {

constexpr int64_t kMaxSize = std::numeric_limits<int32_t>::max();  // sanity cap for sizes and counts

// Reads the "<arch>.*" keys of one file, with the source in every message.
class KeyReader {
 public:
  KeyReader(const GgufMetadata& md, std::string arch, std::string source)
      : md_(md), arch_(std::move(arch)), source_(std::move(source)) {}

  std::string key(const char* suffix) const { return arch_ + "." + suffix; }
  bool has(const char* suffix) const { return md_.has(key(suffix)); }

  int64_t size(const char* suffix) const { return checked_size(key(suffix), md_.get_int(key(suffix))); }
  int64_t size_or(const char* suffix, int64_t fallback) const { return has(suffix) ? size(suffix) : fallback; }
  double number(const char* suffix) const { return md_.get_float(key(suffix)); }
  double number_or(const char* suffix, double fallback) const {
    return has(suffix) ? md_.get_float(key(suffix)) : fallback;
  }

  int64_t checked_size(const std::string& key, int64_t v) const {
    require(v >= 0 && v <= kMaxSize, source_ + ": metadata key " + quote_name(key) + " = " + std::to_string(v) +
                                         " is out of range");
    return v;
  }

 private:
  const GgufMetadata& md_;
  std::string arch_;
  std::string source_;
};

int32_t token_id(const GgufMetadata& md, const std::string& key, const std::string& source) {
  if (!md.has(key)) return -1;
  const int64_t v = md.get_int(key);
  require(v >= -1 && v <= std::numeric_limits<int32_t>::max(),
          source + ": metadata key " + quote_name(key) + " = " + std::to_string(v) + " is out of range");
  return static_cast<int32_t>(v);
}

int64_t vocab_size(const GgufMetadata& md, const KeyReader& k, const std::string& source) {
  if (k.has("vocab_size")) return k.size("vocab_size");
  require(md.has("tokenizer.ggml.tokens"),
          source + ": no vocabulary size (neither " + k.key("vocab_size") + " nor tokenizer.ggml.tokens)");
  return k.checked_size("tokenizer.ggml.tokens", static_cast<int64_t>(md.array_size("tokenizer.ggml.tokens")));
}

void read_attention(const KeyReader& k, ModelConfig& c) {
  c.n_heads = k.size("attention.head_count");
  c.n_kv_heads = k.size_or("attention.head_count_kv", c.n_heads);
  const int64_t fallback = c.n_heads > 0 ? c.hidden_size / c.n_heads : 0;
  c.head_dim = k.size_or("attention.key_length", k.size_or("rope.dimension_count", fallback));
  c.rms_norm_eps = k.number("attention.layer_norm_rms_epsilon");
}

}  // namespace

ModelConfig config_from_gguf(const GgufMetadata& md, bool has_output_weight, const std::string& source) {
  const std::string arch = md.get_string("general.architecture");
  if (arch != "llama" && arch != "mixtral") {
    throw Error(source + ": unsupported architecture " + quote_name(arch) + " (supported: llama, mixtral)");
  }
  const KeyReader k(md, arch, source);
  ModelConfig c;
  c.n_experts = k.size_or("expert_count", 0);
  c.n_experts_per_token = k.size_or("expert_used_count", 0);
  c.arch = (arch == "mixtral" || c.n_experts > 0) ? Architecture::Mixtral : Architecture::Llama;
  c.n_layers = k.size("block_count");
  c.hidden_size = k.size("embedding_length");
  c.intermediate_size = k.size("feed_forward_length");
  c.max_position = k.size("context_length");
  read_attention(k, c);
  c.rope_theta = k.number_or("rope.freq_base", 10000.0);
  c.rope_pairing = RopePairing::Adjacent;
  c.vocab_size = vocab_size(md, k, source);
  c.tie_word_embeddings = !has_output_weight;
  c.bos_token_id = token_id(md, "tokenizer.ggml.bos_token_id", source);
  c.eos_token_id = token_id(md, "tokenizer.ggml.eos_token_id", source);
  c.name = md.has("general.name") ? md.get_string("general.name") : source;
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return c;
}

}  // namespace eaglerun
