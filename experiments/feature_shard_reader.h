#pragma once
// Reads one finished feature shard (feature_shard.h): validates the schema and every size once on
// open, then reads one sequence at a time (a hyperslab of tokens, loss_mask and features).
// Memory: the per-sequence index (offsets, ids) plus the sequence being read.
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/feature_shard.h"
#include "experiments/hdf5_util.h"

namespace eaglerun {

class FeatureShardReader {
 public:
  // Throws Error naming the file for a missing or non-HDF5 file, another schema or version, a missing
  // dataset or attribute, or sizes that do not agree (e.g. a truncated or half-written shard).
  explicit FeatureShardReader(const std::string& path);
  ~FeatureShardReader();
  FeatureShardReader(const FeatureShardReader&) = delete;
  FeatureShardReader& operator=(const FeatureShardReader&) = delete;

  const std::string& path() const { return path_; }
  const ShardMetadata& metadata() const { return metadata_; }
  int64_t n_sequences() const { return static_cast<int64_t>(ids_.size()); }
  int64_t n_tokens() const { return offsets_.back(); }
  const std::vector<int64_t>& offsets() const { return offsets_; }           // [n_sequences + 1]
  const std::vector<std::string>& sequence_ids() const { return ids_; }      // [n_sequences]
  const std::vector<int64_t>& source_indices() const { return source_indices_; }  // [n_sequences]
  const std::vector<int64_t>& skipped_source_indices() const { return skipped_; }

  // Sequence i (0 <= i < n_sequences()), features decoded from bfloat16 to fp32.
  ShardSequence read(int64_t i) const;
  // Every token and loss-mask value of the shard, without the features: [n_tokens] each.
  void read_tokens(std::vector<int32_t>& tokens, std::vector<uint8_t>& loss_mask) const;

 private:
  void open_datasets();
  void read_index();
  void read_rows(const h5::Handle& dataset, hid_t mem_type, void* out, int64_t begin, int64_t rows, int64_t cols) const;

  std::string path_;
  ShardMetadata metadata_;
  h5::Handle file_, tokens_, loss_mask_, features_, taps_;  // taps_ only with tap layers
  std::vector<int64_t> offsets_;
  std::vector<std::string> ids_;
  std::vector<int64_t> source_indices_;
  std::vector<int64_t> skipped_;
};

// The metadata attributes of an open shard file; throws Error for another schema or version.
ShardMetadata read_shard_metadata(hid_t file);

}  // namespace eaglerun
