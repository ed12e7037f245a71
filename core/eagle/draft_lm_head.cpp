#include "core/eagle/draft_lm_head.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"

namespace eaglerun {

DraftLmHead::DraftLmHead(const Model& target, std::vector<int32_t> vocabulary)
    : target_(target), vocabulary_(std::move(vocabulary)) {
  if (vocabulary_.empty()) return;
  const TensorView& full = target.weights().lm_head;
  const std::size_t row = full.row_bytes();
  rows_.resize(vocabulary_.size() * row);
  for (std::size_t i = 0; i < vocabulary_.size(); ++i) {
    require(vocabulary_[i] >= 0 && vocabulary_[i] < full.rows(), "draft vocabulary id out of range");
    std::memcpy(rows_.data() + i * row, full.row(vocabulary_[i]), row);
  }
  head_ = full;
  head_.name = full.name + "[draft vocabulary]";
  head_.shape = {static_cast<int64_t>(vocabulary_.size()), full.cols()};
  head_.data = rows_.data();
  head_.nbytes = rows_.size();
  if (target.precision() == Precision::Fast) packed_.add(head_, target.pool());
}

int64_t DraftLmHead::size() const {
  return vocabulary_.empty() ? target_.config().vocab_size : static_cast<int64_t>(vocabulary_.size());
}

void DraftLmHead::logits(const float* hidden, int64_t m, float* out) const {
  if (vocabulary_.empty()) {
    target_.lm_head_from_host(hidden, m, out);
    return;
  }
  const int64_t V = target_.config().vocab_size, N = size();
  std::vector<float> sub(static_cast<std::size_t>(m * N));
  if (target_.backend().host_memory()) {
    matmul(head_, hidden, m, sub.data(), target_.precision(), target_.pool());
  } else {
    // A device target: its whole LM head there into `out` (one pass over rows that device reads
    // fast), then the vocabulary's columns; the rows' copy above stays on the host.
    target_.lm_head_from_host(hidden, m, out);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t k = 0; k < N; ++k) sub[i * N + k] = out[i * V + vocabulary_[k]];
    }
  }
  std::fill(out, out + m * V, -std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t k = 0; k < N; ++k) out[i * V + vocabulary_[k]] = sub[i * N + k];
  }
}

std::vector<int32_t> read_draft_vocabulary(const std::string& path, int64_t n, int64_t vocab) {
  std::ifstream in(path);
  require(in.good(), "cannot open draft vocabulary file '" + path + "'");
  std::vector<int32_t> ids;
  try {
    ids = nlohmann::json::parse(in).get<std::vector<int32_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": expected a JSON array of token ids (" + e.what() + ")");
  }
  if (n == 0) n = static_cast<int64_t>(ids.size());
  require(n > 0 && n <= static_cast<int64_t>(ids.size()),
          path + " lists " + std::to_string(ids.size()) + " tokens; --draft-vocab " + std::to_string(n) + " asks for more");
  ids.resize(static_cast<std::size_t>(n));
  std::set<int32_t> seen;
  for (int32_t id : ids) {
    require(id >= 0 && id < vocab, path + ": token id " + std::to_string(id) + " is outside the vocabulary");
    require(seen.insert(id).second, path + ": token id " + std::to_string(id) + " appears twice");
  }
  return ids;
}

}  // namespace eaglerun
