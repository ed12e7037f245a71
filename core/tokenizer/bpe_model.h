#pragma once
// Byte-level BPE merging, as HF tokenizers' BPE model does it with dropout off, unk_token None and
// ignore_merges false: a piece starts as one symbol per byte (the vocabulary entry of the byte's
// ByteLevel character); then, repeatedly, the adjacent pair with the lowest merge rank (leftmost
// among equal ranks) is replaced by the token the merge produces, until no adjacent pair has a merge.
#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tokenizer/merge_table.h"

namespace eaglerun {

class BpeModel {
 public:
  // tokens[i] is the ByteLevel text of id i; merges are "left right" strings, best (rank 0) first.
  // Throws Error for a merge that is not two space-separated tokens of the vocabulary or whose
  // concatenation is not in it. A repeated merge keeps its last rank (as HF does).
  BpeModel(const std::vector<std::string>& tokens, const std::vector<std::string>& merges);

  // Appends the ids of one pre-tokenized piece of raw bytes. A byte whose ByteLevel character is not
  // in the vocabulary is dropped (HF's BPE without an unk token does the same).
  void encode_piece(std::string_view piece, std::vector<int32_t>& out) const;

  // The id of the token with exactly this ByteLevel text, or -1.
  int32_t token_id(std::string_view text) const;

 private:
  void merge_symbols(std::vector<int32_t>& ids) const;

  std::unordered_map<std::string, int32_t> vocab_;
  MergeTable merges_;
  std::array<int32_t, 256> byte_id_{};  // -1 when the byte's character is not a token

  // Hash and equality that also take string_view, so cache lookups need no std::string.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  // Pieces seen before (raw bytes -> ids); bounded, cleared when full.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache_;
};

}  // namespace eaglerun
