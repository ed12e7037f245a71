#pragma once
// Tensor names of a LLaMA/Mixtral model in Hugging Face and in GGUF (llama.cpp) naming, and the
// Q/K row order that goes with each. llama.cpp's converter permutes the rows of q_proj and k_proj
// within each head, so that RoPE rotates adjacent pairs (GGUF) instead of the two halves (HF):
//   gguf row h*D + 2*i + j  =  hf row h*D + j*D/2 + i       (head h, D = head_dim, i < D/2, j in {0, 1})
// with n_heads heads for Q and n_kv_heads for K.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eaglerun {

// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight"; Mixtral experts map to the
// per-expert GGUF names ("blk.N.ffn_gate.E.weight"). nullopt for a name with no GGUF counterpart.
std::optional<std::string> gguf_name_of(const std::string& hf_name);
// The inverse, for per-tensor names (stacked "blk.N.ffn_*_exps.weight" are split by the caller
// with hf_expert_name). nullopt for a name with no Hugging Face counterpart.
std::optional<std::string> hf_name_of(const std::string& gguf_name);
// "model.layers.N.block_sparse_moe.experts.E.w1.weight" for a stacked GGUF "blk.N.ffn_gate_exps.weight".
std::optional<std::string> hf_expert_name(const std::string& stacked_gguf_name, int64_t expert);

// Which attention rows a tensor holds, for the Q/K permutation (None for every other tensor).
enum class QkRows { None, Q, K };
QkRows qk_rows_of(const std::string& name);  // either naming

// Row r of the output is row src[r] of the input: HF -> GGUF (to_gguf) or back, for `rows` rows
// in heads of `rows / n_heads` (even) rows.
std::vector<int64_t> qk_row_order(int64_t rows, int64_t n_heads, bool to_gguf);

}  // namespace eaglerun
