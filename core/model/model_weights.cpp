#include "core/model/model_weights.h"

#include <string>

#include "core/error.h"
#include "core/kernels/matmul.h"

namespace eaglerun {
namespace {

// Tensor names of one naming scheme.
struct Names {
  bool gguf;
  std::string layer(int64_t l, const char* gguf_name, const char* hf_name) const {
    return gguf ? "blk." + std::to_string(l) + "." + gguf_name + ".weight"
                : "model.layers." + std::to_string(l) + "." + hf_name + ".weight";
  }
};

// Views expert e's [rows, cols] slice of a stacked GGUF tensor [E, rows, cols].
TensorView expert_slice(const TensorView& stacked, int64_t e) {
  TensorView v = stacked;
  v.name = stacked.name + "[" + std::to_string(e) + "]";
  v.shape = {stacked.shape[1], stacked.shape[2]};
  v.nbytes = stacked.nbytes / stacked.shape[0];
  v.data = stacked.data + static_cast<std::size_t>(e) * v.nbytes;
  return v;
}

FeedForwardWeights load_expert(const WeightStore& s, const Names& n, const ModelConfig& c, int64_t l, int64_t e) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  if (!n.gguf) {
    const std::string p = "model.layers." + std::to_string(l) + ".block_sparse_moe.experts." + std::to_string(e);
    return {s.get(p + ".w1.weight", {I, H}), s.get(p + ".w3.weight", {I, H}), s.get(p + ".w2.weight", {H, I})};
  }
  const std::string p = "blk." + std::to_string(l) + ".";
  if (s.find(p + "ffn_gate_exps.weight")) {  // stacked [E, I, H]
    const int64_t E = c.n_experts;
    return {expert_slice(s.get(p + "ffn_gate_exps.weight", {E, I, H}), e),
            expert_slice(s.get(p + "ffn_up_exps.weight", {E, I, H}), e),
            expert_slice(s.get(p + "ffn_down_exps.weight", {E, H, I}), e)};
  }
  const std::string x = "." + std::to_string(e) + ".weight";  // older per-expert GGUF files
  return {s.get(p + "ffn_gate" + x, {I, H}), s.get(p + "ffn_up" + x, {I, H}), s.get(p + "ffn_down" + x, {H, I})};
}

LayerWeights load_layer(const WeightStore& s, const Names& n, const ModelConfig& c, int64_t l) {
  const int64_t H = c.hidden_size, Q = c.q_dim(), K = c.kv_dim(), I = c.intermediate_size;
  LayerWeights w;
  w.attn_norm = to_float_vector(s.get(n.layer(l, "attn_norm", "input_layernorm"), {H}));
  w.wq = s.get(n.layer(l, "attn_q", "self_attn.q_proj"), {Q, H});
  w.wk = s.get(n.layer(l, "attn_k", "self_attn.k_proj"), {K, H});
  w.wv = s.get(n.layer(l, "attn_v", "self_attn.v_proj"), {K, H});
  w.wo = s.get(n.layer(l, "attn_output", "self_attn.o_proj"), {H, Q});
  w.ffn_norm = to_float_vector(s.get(n.layer(l, "ffn_norm", "post_attention_layernorm"), {H}));
  if (!c.is_moe()) {
    w.mlp = {s.get(n.layer(l, "ffn_gate", "mlp.gate_proj"), {I, H}), s.get(n.layer(l, "ffn_up", "mlp.up_proj"), {I, H}),
             s.get(n.layer(l, "ffn_down", "mlp.down_proj"), {H, I})};
    return w;
  }
  w.router = s.get(n.layer(l, "ffn_gate_inp", "block_sparse_moe.gate"), {c.n_experts, H});
  for (int64_t e = 0; e < c.n_experts; ++e) w.experts.push_back(load_expert(s, n, c, l, e));
  return w;
}

}  // namespace

std::vector<float> to_float_vector(const TensorView& t) {
  require(!is_quantised(t.dtype), "tensor '" + t.name + "' must be f32/f16/bf16, not " +
                                      std::string(dtype_info(t.dtype).name));
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  dequantize(t.dtype, t.data, t.numel(), out.data());
  return out;
}

ModelWeights ModelWeights::load(const WeightStore& s) {
  const ModelConfig& c = s.config();
  const Names n{s.naming() == "gguf"};
  const int64_t V = c.vocab_size, H = c.hidden_size;
  ModelWeights w;
  w.experts_per_token = c.n_experts_per_token;
  w.embedding = s.get(n.gguf ? "token_embd.weight" : "model.embed_tokens.weight", {V, H});
  for (int64_t l = 0; l < c.n_layers; ++l) w.layers.push_back(load_layer(s, n, c, l));
  w.final_norm = to_float_vector(s.get(n.gguf ? "output_norm.weight" : "model.norm.weight", {H}));
  const std::string head = n.gguf ? "output.weight" : "lm_head.weight";
  if (s.find(head)) {
    w.lm_head = s.get(head, {V, H});
  } else {
    require(c.tie_word_embeddings || n.gguf, "missing tensor '" + head + "' (config says tie_word_embeddings=false)");
    w.lm_head = w.embedding;
  }
  return w;
}

int64_t ModelWeights::bytes_read_per_token() const {
  int64_t bytes = static_cast<int64_t>(embedding.row_bytes()) + static_cast<int64_t>(lm_head.nbytes);
  for (const LayerWeights& l : layers) {
    bytes += l.wq.nbytes + l.wk.nbytes + l.wv.nbytes + l.wo.nbytes;
    if (l.experts.empty()) {
      bytes += l.mlp.gate.nbytes + l.mlp.up.nbytes + l.mlp.down.nbytes;
    } else {  // a token reads the router and its top-k experts; on average k/E of those held here
      int64_t held = 0;
      for (const FeedForwardWeights& e : l.experts) {
        held += static_cast<int64_t>(e.gate.nbytes + e.up.nbytes + e.down.nbytes);
      }
      bytes += l.router.nbytes + experts_per_token * held / static_cast<int64_t>(l.experts.size());
    }
  }
  return bytes;
}

}  // namespace eaglerun
