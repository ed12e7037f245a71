#include "core/convert/tensor_names.h"

#include <array>
#include <regex>
#include <utility>

#include "core/error.h"

namespace eaglerun {
namespace {

// Per-layer names: HF suffix after "model.layers.N." <-> GGUF suffix after "blk.N.".
constexpr std::array<std::pair<const char*, const char*>, 10> kLayer = {{
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
    {"block_sparse_moe.gate.weight", "ffn_gate_inp.weight"},
}};
constexpr std::array<std::pair<const char*, const char*>, 3> kGlobal = {{
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
}};
// Mixtral expert matrices: HF w1/w3/w2 <-> GGUF ffn_gate/ffn_up/ffn_down.
constexpr std::array<std::pair<const char*, const char*>, 3> kExpert = {{{"w1", "ffn_gate"}, {"w3", "ffn_up"}, {"w2", "ffn_down"}}};

}  // namespace

std::optional<std::string> gguf_name_of(const std::string& hf) {
  for (const auto& [h, g] : kGlobal) {
    if (hf == h) return std::string(g);
  }
  static const std::regex layer(R"(model\.layers\.(\d+)\.(.+))");
  static const std::regex expert(R"(block_sparse_moe\.experts\.(\d+)\.(w[123])\.weight)");
  std::smatch m;
  if (!std::regex_match(hf, m, layer)) return std::nullopt;
  const std::string n = m[1], rest = m[2];
  for (const auto& [h, g] : kLayer) {
    if (rest == h) return "blk." + n + "." + g;
  }
  std::smatch e;
  if (std::regex_match(rest, e, expert)) {
    for (const auto& [h, g] : kExpert) {
      if (e[2] == h) return "blk." + n + "." + g + "." + std::string(e[1]) + ".weight";
    }
  }
  return std::nullopt;
}

std::optional<std::string> hf_name_of(const std::string& gguf) {
  for (const auto& [h, g] : kGlobal) {
    if (gguf == g) return std::string(h);
  }
  static const std::regex layer(R"(blk\.(\d+)\.(.+))");
  static const std::regex expert(R"((ffn_gate|ffn_up|ffn_down)\.(\d+)\.weight)");
  std::smatch m;
  if (!std::regex_match(gguf, m, layer)) return std::nullopt;
  const std::string n = m[1], rest = m[2];
  for (const auto& [h, g] : kLayer) {
    if (rest == g) return "model.layers." + n + "." + h;
  }
  std::smatch e;
  if (std::regex_match(rest, e, expert)) {
    for (const auto& [h, g] : kExpert) {
      if (e[1] == g) return "model.layers." + n + ".block_sparse_moe.experts." + std::string(e[2]) + "." + h + ".weight";
    }
  }
  return std::nullopt;
}

std::optional<std::string> hf_expert_name(const std::string& stacked, int64_t expert) {
  static const std::regex re(R"(blk\.(\d+)\.(ffn_gate|ffn_up|ffn_down)_exps\.weight)");
  std::smatch m;
  if (!std::regex_match(stacked, m, re)) return std::nullopt;
  for (const auto& [h, g] : kExpert) {
    if (m[2] == g) {
      return "model.layers." + std::string(m[1]) + ".block_sparse_moe.experts." + std::to_string(expert) + "." + h +
             ".weight";
    }
  }
  return std::nullopt;
}

QkRows qk_rows_of(const std::string& name) {
  auto ends = [&](const char* s) {
    const std::string t(s);
    return name.size() >= t.size() && name.compare(name.size() - t.size(), t.size(), t) == 0;
  };
  if (ends(".self_attn.q_proj.weight") || ends(".attn_q.weight")) return QkRows::Q;
  if (ends(".self_attn.k_proj.weight") || ends(".attn_k.weight")) return QkRows::K;
  return QkRows::None;
}

std::vector<int64_t> qk_row_order(int64_t rows, int64_t n_heads, bool to_gguf) {
  require(n_heads > 0 && rows % n_heads == 0 && (rows / n_heads) % 2 == 0,
          "cannot permute " + std::to_string(rows) + " attention rows over " + std::to_string(n_heads) + " heads");
  const int64_t D = rows / n_heads, half = D / 2;
  std::vector<int64_t> src(static_cast<std::size_t>(rows));
  for (int64_t h = 0; h < n_heads; ++h) {
    for (int64_t i = 0; i < half; ++i) {
      for (int64_t j = 0; j < 2; ++j) {
        const int64_t g = h * D + 2 * i + j, f = h * D + j * half + i;
        if (to_gguf) src[static_cast<std::size_t>(g)] = f;
        else src[static_cast<std::size_t>(f)] = g;
      }
    }
  }
  return src;
}

}  // namespace eaglerun
