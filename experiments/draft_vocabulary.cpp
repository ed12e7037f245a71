#include "experiments/draft_vocabulary.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "experiments/feature_shard_reader.h"
#include "experiments/feature_store.h"

namespace eaglerun {

namespace {

// Every finished shard of every folder; throws for a folder without any.
std::vector<std::string> all_shards(const std::vector<std::string>& dirs) {
  std::vector<std::string> shards;
  for (const std::string& dir : dirs) {
    const std::vector<std::string> folder = list_shards(dir);
    require(!folder.empty(), "no feature shards (shard-NNNNNN.h5) in '" + dir + "'");
    shards.insert(shards.end(), folder.begin(), folder.end());
  }
  return shards;
}

}  // namespace

std::vector<int32_t> draft_vocabulary_by_frequency(const std::vector<std::string>& feature_dirs, int64_t vocab_size) {
  std::vector<int64_t> counts(static_cast<std::size_t>(vocab_size), 0);
  std::vector<int32_t> tokens;
  std::vector<uint8_t> mask;
  for (const std::string& path : all_shards(feature_dirs)) {
    FeatureShardReader(path).read_tokens(tokens, mask);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      require(tokens[i] >= 0 && tokens[i] < vocab_size, path + ": token id " + std::to_string(tokens[i]) +
                                                            " outside the vocabulary of " + std::to_string(vocab_size));
      counts[static_cast<std::size_t>(tokens[i])] += mask[i];
    }
  }
  std::vector<int32_t> ids;
  for (int64_t t = 0; t < vocab_size; ++t) {
    if (counts[static_cast<std::size_t>(t)] > 0) ids.push_back(static_cast<int32_t>(t));
  }
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return counts[a] > counts[b]; });
  return ids;
}

void write_draft_vocabulary(const std::string& path, const std::vector<int32_t>& ids) {
  std::ofstream out(path);
  require(out.good(), "cannot write '" + path + "'");
  out << nlohmann::json(ids).dump() << "\n";
  require(out.good(), "cannot write '" + path + "'");
}

}  // namespace eaglerun
