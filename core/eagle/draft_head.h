#pragma once
// The EAGLE-1 draft head, built as the released heads are (config.json + pytorch_model.bin, or
// model.safetensors; tensor names without a prefix):
//   x  = fc(concat(embedding(t_{j+1}), f_j))          fc.weight [H, 2H], fc.bias [H] (optional)
//   then each decoder layer l = 0 .. num_hidden_layers - 1 (released heads have one):
//   x += o_proj(attention(q/k/v_proj(a))),            a = x for layer 0 (no input_layernorm), else
//                                                      input_layernorm(x); RoPE with the head's theta
//   x += down(silu(gate(n)) * up(n)), n = post_attention_layernorm(x)
//   f^_{j+1} = x                                      no final norm; the target's LM head follows
// (the official code's layer: index 0 skips input_layernorm, later indices apply it).
// A head with tap layers ("eaglerun_tap_layers": [l, ...], k of them) also reads the target's lower
// layers at j (Model's taps, EAGLE-3's idea): its feature input is [f_j, tap_1, .., tap_k], k + 1
// rows of H, and fc.weight is [H, (k + 2) H]. Its own predictions f^ carry no taps: deeper draft
// steps feed [f^, 0, .., 0].
// The token embedding and LM head are the target's (an embed_tokens.weight in the file is ignored).
// Parameters are held in fp32 whatever the file's dtype (F32, F16 or BF16).
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/backend/backend.h"
#include "core/backend/cpu_backend.h"
#include "core/config/model_config.h"
#include "core/kernels/packed_weights.h"
#include "core/kernels/thread_pool.h"
#include "core/backend/attention_mask.h"
#include "core/model/kv_cache.h"
#include "core/tensor/tensor_view.h"

namespace eaglerun {

// What the head reads (the paper's input ablation, Fig. 4 and 8). config.json key "eaglerun_inputs";
// absent means FeatureAndShiftedToken, the EAGLE head. The head's fc layout never changes: an input
// the variant does not use is fed as zeros.
//   FeatureAndShiftedToken   "feature_and_shifted_token":   (f_j, t_{j+1})  EAGLE
//   FeatureOnly              "feature_only":                (f_j, 0)
//   TokenOnly                "token_only":                  (0, t_{j+1})
//   FeatureAndUnshiftedToken "feature_and_unshifted_token": (f_j, t_j)
enum class DraftInputs { FeatureAndShiftedToken, FeatureOnly, TokenOnly, FeatureAndUnshiftedToken };
std::string_view draft_inputs_name(DraftInputs inputs);
DraftInputs parse_draft_inputs(std::string_view name);  // throws Error for an unknown name
// True when the token paired with f_j is t_j rather than t_{j+1}.
inline bool unshifted_tokens(DraftInputs inputs) { return inputs == DraftInputs::FeatureAndUnshiftedToken; }

struct DraftHeadConfig {
  static constexpr int64_t kMaxLayers = 16;  // the most num_hidden_layers a config may give

  int64_t hidden_size = 0;        // H, must equal the target's
  int64_t intermediate_size = 0;  // SwiGLU inner size
  int64_t n_layers = 1;           // decoder layers ("num_hidden_layers"; the released EAGLE-1 heads: 1)
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t vocab_size = 0;         // the target's vocabulary
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;    // released heads use 10000 whatever the target's base
  bool bias = true;               // fc has a bias
  int64_t max_position = 4096;
  DraftInputs inputs = DraftInputs::FeatureAndShiftedToken;  // "eaglerun_inputs"
  std::vector<int64_t> tap_layers;  // "eaglerun_tap_layers": the target layers whose taps the head reads

  static constexpr int64_t kMaxTaps = 8;
  // Values per feature row: H, and H more per tap layer.
  int64_t feature_width() const { return hidden_size * (1 + static_cast<int64_t>(tap_layers.size())); }

  // A config with the target's sizes (what a head trained for it would use).
  static DraftHeadConfig for_target(const ModelConfig& target);
  // Parses config.json text; throws Error naming the key.
  static DraftHeadConfig from_json(const std::string& text, const std::string& source);
  std::string to_json() const;
  // The decoder layers as a ModelConfig (for attention and RoPE).
  ModelConfig layer_config() const;
  void check_compatible(const ModelConfig& target) const;  // throws Error on a size mismatch
};

struct Parameter {
  std::vector<int64_t> shape;  // outermost first
  std::vector<float> values;   // fp32, row-major
  TensorView view(const std::string& name) const;
};

class DraftHead {
 public:
  // dir holds config.json and model.safetensors, or pytorch_model.bin (torch.save of the state dict, as
  // the released EAGLE heads ship). Throws Error for missing/mis-shaped tensors.
  static DraftHead load(const std::string& dir);
  // The weights file load() reads: dir/model.safetensors when present, else dir/pytorch_model.bin.
  static std::string weights_path(const std::string& dir);
  // Small random weights (normal with std `scale`, norms 1): a head whose quality does not matter.
  static DraftHead random(const DraftHeadConfig& config, uint64_t seed, float scale = 0.02f);
  // Writes config.json and model.safetensors (dtype "F32" or "BF16") with the released names.
  void save(const std::string& dir, const std::string& dtype = "F32") const;

  const DraftHeadConfig& config() const { return config_; }
  std::map<std::string, Parameter>& parameters() { return params_; }
  const std::map<std::string, Parameter>& parameters() const { return params_; }

  // out[m, H] = the head on (token embeddings emb[m, H], features f[m, feature_width()]) at `positions`, with
  // the mask over kv's rows + these m; appends m rows to kv. The input config().inputs does not
  // use is read as zeros (emb for FeatureOnly, features for TokenOnly; either may then be null).
  // emb, features and out are host memory, the kernels the CPU's fast ones, split over `pool`.
  void forward(const float* emb, const float* features, int64_t m, std::span<const int32_t> positions,
               const AttentionMask& mask, KvCache& kv, float* out, ThreadPool& pool) const;
  // The same on `backend` (the target's): emb, features and out are its device pointers, and kv a
  // cache in its memory (make_cache(capacity, backend)).
  void forward(const float* emb, const float* features, int64_t m, std::span<const int32_t> positions,
               const AttentionMask& mask, KvCache& kv, float* out, Backend& backend) const;

  // fp32 rows on every path: a layer or a few, a small share of the target's cache, and training reads it.
  // In host memory, or in `backend`'s.
  KvCache make_cache(int64_t capacity, std::shared_ptr<Backend> backend = host_backend()) const;

  // Q8_0 copies of the matrices for decoding: forward() then reads those instead of the fp32
  // values, a quarter of the bytes (one draft level on a CPU is bound by reading the head's
  // weights: 17 MB in fp32 for a 576-wide head, more than a sixth of the default model's step).
  // The fp32 parameters stay (training, save()); later changes to them are not seen by forward().
  void quantize_for_inference();
  bool quantized() const { return !quantized_.empty(); }

  // Decoder layer l's tensor names (made once per head, not per forward call).
  struct LayerNames {
    explicit LayerNames(int64_t l);
    std::string q, k, v, o, input_norm, post_norm, gate, up, down;
  };

 private:
  explicit DraftHead(DraftHeadConfig config);
  void layer_forward(int64_t l, float* x, int64_t m, std::span<const int32_t> positions, const AttentionMask& mask,
                     KvCache& kv, Backend& b) const;
  TensorView weight(const std::string& name) const;  // the Q8_0 copy, else the fp32 values

  DraftHeadConfig config_;
  std::vector<LayerNames> names_;  // [n_layers]
  std::map<std::string, Parameter> params_;  // released tensor names
  std::map<std::string, std::vector<std::byte>> quantized_;  // Q8_0 blocks of the 2-D parameters
  PackedWeights packed_;  // quantized_ in the fast kernels' layout
};

// A list of layers as "1,14" (empty for none), and back; parse_layers throws Error naming `what` for
// anything but comma-separated non-negative integers.
std::string join_layers(const std::vector<int64_t>& layers);
std::vector<int64_t> parse_layers(const std::string& text, const std::string& what);

// The released tensor names and shapes for a config.
std::map<std::string, std::vector<int64_t>> draft_head_shapes(const DraftHeadConfig& config);
// The name of decoder layer l's tensor, e.g. draft_layer_tensor(0, "mlp.up_proj") = "layers.0.mlp.up_proj.weight".
std::string draft_layer_tensor(int64_t l, std::string_view what);

}  // namespace eaglerun
