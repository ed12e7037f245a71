#include "parallel/shard_plan.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace eaglerun {
namespace {

// "1, 3" : the values of a flag that divide n.
std::string divisors(int64_t n) {
  std::string s;
  for (int64_t d = 1; d <= n; ++d) {
    if (n % d == 0) s += (s.empty() ? "" : ", ") + std::to_string(d);
  }
  return s;
}

// The largest block of the weights that row-parallel layers split by column.
int64_t column_block(const ModelWeights& w) {
  int64_t block = 1;
  for (const LayerWeights& l : w.layers) {
    block = std::max<int64_t>(block, dtype_info(l.wo.dtype).block_elems);
    block = std::max<int64_t>(block, dtype_info(l.mlp.down.dtype).block_elems);
    for (const FeedForwardWeights& e : l.experts) block = std::max<int64_t>(block, dtype_info(e.down.dtype).block_elems);
  }
  return block;
}

void check_splits(const ModelConfig& c, const World& w, int64_t block) {
  require(c.n_kv_heads % w.tp == 0, "--tp " + std::to_string(w.tp) + " does not divide the model's " +
                                        std::to_string(c.n_kv_heads) + " KV heads (" + std::to_string(c.n_heads) +
                                        " query heads); --tp can be " + divisors(c.n_kv_heads));
  const int64_t head_cols = c.n_heads / w.tp * c.head_dim;
  require(head_cols % block == 0, "--tp " + std::to_string(w.tp) + " splits o_proj at " + std::to_string(head_cols) +
                                      " columns, not a multiple of its quantisation block of " + std::to_string(block));
  require(c.intermediate_size % block == 0 && c.intermediate_size / block >= w.tp,
          "--tp " + std::to_string(w.tp) + " cannot split the MLP's " + std::to_string(c.intermediate_size) +
              " inner rows in blocks of " + std::to_string(block));
  require(w.ep == 1 || c.is_moe(), "--ep " + std::to_string(w.ep) + " needs a mixture-of-experts model; " + c.name +
                                       " is dense");
  require(w.ep == 1 || c.n_experts % w.ep == 0, "--ep " + std::to_string(w.ep) + " does not divide the model's " +
                                                    std::to_string(c.n_experts) + " experts; --ep can be " +
                                                    divisors(c.n_experts));
  require(w.pp <= c.n_layers, "--pp " + std::to_string(w.pp) + " exceeds the model's " + std::to_string(c.n_layers) +
                                  " layers");
  require(c.vocab_size >= w.stage_size(), "the vocabulary is smaller than the ranks of a stage");
}

FeedForwardWeights shard_mlp(const FeedForwardWeights& f, Range ffn, OwnedBuffers& owned) {
  return {slice_rows(f.gate, ffn.begin, ffn.end), slice_rows(f.up, ffn.begin, ffn.end),
          copy_columns(f.down, ffn.begin, ffn.end, owned)};
}

LayerWeights shard_layer(LayerWeights l, const ShardPlan& p, const ModelConfig& c, OwnedBuffers& owned) {
  const int64_t D = c.head_dim;
  l.wq = slice_rows(l.wq, p.heads.begin * D, p.heads.end * D);
  l.wk = slice_rows(l.wk, p.kv_heads.begin * D, p.kv_heads.end * D);
  l.wv = slice_rows(l.wv, p.kv_heads.begin * D, p.kv_heads.end * D);
  l.wo = copy_columns(l.wo, p.heads.begin * D, p.heads.end * D, owned);
  if (!c.is_moe()) {
    l.mlp = shard_mlp(l.mlp, p.ffn, owned);
    return l;
  }
  for (int64_t e = 0; e < c.n_experts; ++e) {
    const bool held = e >= p.experts.begin && e < p.experts.end;
    l.experts[e] = held ? shard_mlp(l.experts[e], p.ffn, owned) : FeedForwardWeights{};
  }
  return l;
}

}  // namespace

ShardPlan ShardPlan::make(const ModelConfig& c, const ModelWeights& full, const World& w) {
  const int64_t block = column_block(full);
  check_splits(c, w, block);
  ShardPlan p;
  p.kv_heads = split_range(c.n_kv_heads, w.tp, w.tp_rank);
  p.heads = {p.kv_heads.begin * c.group_size(), p.kv_heads.end * c.group_size()};
  p.ffn = split_range(c.intermediate_size, w.tp, w.tp_rank, block);
  p.experts = c.is_moe() ? split_range(c.n_experts, w.ep, w.ep_rank) : Range{};
  p.layers = split_range(c.n_layers, w.pp, w.pp_rank);
  p.vocab = split_range(c.vocab_size, w.stage_size(), w.stage_index());
  return p;
}

bool ShardPlan::whole(const ModelConfig& c) const {
  return kv_heads.size() == c.n_kv_heads && ffn.size() == c.intermediate_size && layers.size() == c.n_layers &&
         vocab.size() == c.vocab_size && experts.size() == c.n_experts;
}

ModelWeights apply_shard_plan(ModelWeights w, const ShardPlan& p, const ModelConfig& c) {
  if (p.whole(c)) return w;
  for (int64_t l = 0; l < c.n_layers; ++l) {
    if (l >= p.layers.begin && l < p.layers.end) {
      w.layers[l] = shard_layer(std::move(w.layers[l]), p, c, w.owned);
    } else {
      w.layers[l] = LayerWeights{};  // another stage's layer
    }
  }
  w.lm_head = slice_rows(w.lm_head, p.vocab.begin, p.vocab.end);
  return w;
}

ModelShard model_shard(const ShardPlan& p, const ModelConfig& c, ModelCollectives* tensor_group,
                       ModelCollectives* expert_group) {
  ModelShard s;
  s.n_heads = p.heads.size();
  s.n_kv_heads = p.kv_heads.size();
  s.layer_begin = p.layers.begin;
  s.layer_end = p.layers.end;
  s.tensor_group = s.n_kv_heads < c.n_kv_heads ? tensor_group : nullptr;  // tp > 1: heads and MLP rows split
  s.expert_group = c.is_moe() && (p.ffn.size() < c.intermediate_size || p.experts.size() < c.n_experts)
                       ? expert_group
                       : nullptr;
  return s;
}

}  // namespace eaglerun
