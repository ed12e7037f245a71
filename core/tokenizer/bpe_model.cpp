#include "core/tokenizer/bpe_model.h"

#include <algorithm>
#include <functional>

#include "core/error.h"
#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/utf8.h"

namespace eaglerun {
namespace {

constexpr size_t kCacheMaxEntries = 1 << 16;
constexpr size_t kCacheMaxPieceBytes = 256;

}  // namespace

BpeModel::BpeModel(const std::vector<std::string>& tokens, const std::vector<std::string>& merges) {
  vocab_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) vocab_.emplace(tokens[i], static_cast<int32_t>(i));
  for (unsigned b = 0; b < 256; ++b) {
    std::string ch;
    utf8_append(ch, byte_to_unicode(static_cast<uint8_t>(b)));
    byte_id_[b] = token_id(ch);
  }
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& m = merges[rank];
    const size_t space = m.find(' ');
    require(space != std::string::npos && m.find(' ', space + 1) == std::string::npos,
            "BPE merge " + std::to_string(rank) + " '" + m + "' is not two space-separated tokens");
    const std::string left = m.substr(0, space);
    const std::string right = m.substr(space + 1);
    const int32_t left_id = token_id(left);
    const int32_t right_id = token_id(right);
    const int32_t result_id = token_id(left + right);
    require(left_id >= 0 && right_id >= 0 && result_id >= 0,
            "BPE merge " + std::to_string(rank) + " '" + m + "' uses or makes a token not in the vocabulary");
    merges_.insert_or_assign(left_id, right_id, MergeTable::Merge{static_cast<int32_t>(rank), result_id});
  }
}

int32_t BpeModel::token_id(std::string_view text) const {
  const auto it = vocab_.find(std::string(text));
  return it == vocab_.end() ? -1 : it->second;
}

// HF's Word::merge_all: a min-heap of candidate merges keyed by (rank, position of the left symbol).
// A popped candidate is skipped when its left symbol was absorbed or its pair changed since it was pushed.
void BpeModel::merge_symbols(std::vector<int32_t>& ids) const {
  const int n = static_cast<int>(ids.size());
  if (n < 2) return;
  struct Symbol {
    int32_t id;
    int prev;
    int next;
    bool alive;
  };
  struct Candidate {
    int32_t rank;
    int pos;
    int32_t result;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  // Scratch reused across calls on this thread (no allocation per piece once warm).
  thread_local std::vector<Symbol> sym;
  thread_local std::vector<Candidate> heap;
  sym.resize(n);
  heap.clear();
  for (int i = 0; i < n; ++i) sym[i] = Symbol{ids[i], i - 1, i + 1 < n ? i + 1 : -1, true};

  const auto push_pair = [&](int left) {
    if (left < 0 || sym[left].next < 0) return;
    if (const MergeTable::Merge* m = merges_.find(sym[left].id, sym[sym[left].next].id)) {
      heap.push_back({m->rank, left, m->result});
      std::push_heap(heap.begin(), heap.end(), std::greater<>());
    }
  };
  for (int i = 0; i + 1 < n; ++i) push_pair(i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());
    const Candidate c = heap.back();
    heap.pop_back();
    Symbol& left = sym[c.pos];
    if (!left.alive || left.next < 0) continue;
    const MergeTable::Merge* m = merges_.find(left.id, sym[left.next].id);
    if (m == nullptr || m->result != c.result) continue;
    Symbol& right = sym[left.next];
    left.id = c.result;
    right.alive = false;
    left.next = right.next;
    if (left.next >= 0) sym[left.next].prev = c.pos;
    push_pair(left.prev);
    push_pair(c.pos);
  }
  ids.clear();
  for (int i = 0; i >= 0; i = sym[i].next) ids.push_back(sym[i].id);
}

void BpeModel::encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
  const bool cacheable = piece.size() <= kCacheMaxPieceBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto it = cache_.find(piece);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  ids.reserve(piece.size());
  for (char c : piece) {
    const int32_t id = byte_id_[static_cast<uint8_t>(c)];
    if (id >= 0) ids.push_back(id);
  }
  merge_symbols(ids);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kCacheMaxEntries) cache_.clear();
    cache_.emplace(std::string(piece), std::move(ids));
  }
}

}  // namespace eaglerun
