#pragma once
// Growing a trained head without changing what it computes (Net2Net-style), so a larger head can be
// fine-tuned from a smaller one and compared at equal training budget:
//   - a wider MLP (intermediate_size I -> I'): the old gate/up rows and down columns are kept, the new
//     gate/up rows drawn as a fresh head's (U(-1/sqrt(H), 1/sqrt(H))), the new down columns zero, so the
//     new units add exactly 0 until training moves their down weights;
//   - more key/value heads (grouped-query attention loosened, up to one per query head): each new kv head
//     is a copy of the old kv head its query heads read, so every query head sees the same keys and values;
//   - more decoder layers, appended after the last: drawn as a fresh head's except o_proj and down_proj,
//     which are zero, so each new layer adds 0 to its input until training moves them;
//   - tap layers (a head without them reads the target's lower layers too, draft_head.h): fc's new
//     columns, for the taps, are zero.
#include <cstdint>
#include <vector>

#include "core/eagle/draft_head.h"

namespace eaglerun::train {

struct HeadGrowth {
  int64_t intermediate_size = 0;  // 0: keep; else >= the head's
  int64_t n_kv_heads = 0;         // 0: keep; else a multiple of the head's that divides its query heads
  int64_t n_layers = 0;           // 0: keep; else >= the head's
  std::vector<int64_t> tap_layers = {};  // empty: keep; else the head must have none
  bool any() const { return intermediate_size != 0 || n_kv_heads != 0 || n_layers != 0 || !tap_layers.empty(); }
};

// The grown head (same inputs, same function up to fp32 summation order). Throws Error naming the
// first growth that does not fit the head.
DraftHead grow_head(const DraftHead& head, const HeadGrowth& growth, uint64_t seed);

}  // namespace eaglerun::train
