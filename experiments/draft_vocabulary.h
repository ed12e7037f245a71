#pragma once
// The draft vocabulary list that goes with a trained head: the token ids of the assistant tokens
// (loss_mask 1) in one or more feature stores, most frequent first, ties by lower id; ids never seen are left
// out. `--draft-vocab N` drafts over its first N entries (core/eagle/draft_lm_head.h).
#include <cstdint>
#include <string>
#include <vector>

namespace eaglerun {

// Throws Error for a folder without finished shards or a token id outside [0, vocab_size).
std::vector<int32_t> draft_vocabulary_by_frequency(const std::vector<std::string>& feature_dirs, int64_t vocab_size);

// Writes ids as a JSON array (the format read_draft_vocabulary reads).
void write_draft_vocabulary(const std::string& path, const std::vector<int32_t>& ids);

}  // namespace eaglerun
