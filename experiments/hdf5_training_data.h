#pragma once
// The feature store (feature_store.h) as training data for the draft-head trainer: the sequences of
// every finished shard in one or more folders, folder by folder in shard order, optionally only the
// train or validation part (sequence_split.h, by conversation id). Several folders mix extractions of
// the same target (e.g. ShareGPT answers and the target's regenerated ones). Memory: one (shard, row) entry and the id per selected
// sequence, the index of the shard being read, and the sequence returned; features are read one
// sequence at a time. get() is safe to call from several threads (reads are serialized).
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/train/training_data.h"
#include "experiments/feature_shard.h"
#include "experiments/sequence_split.h"

namespace eaglerun {

class FeatureShardReader;

class Hdf5TrainingDataSource final : public TrainingDataSource {
 public:
  // Throws Error when a folder holds no finished shard, a shard is malformed, the shards of one folder
  // come from different extractions, or two folders come from different target models.
  explicit Hdf5TrainingDataSource(const std::vector<std::string>& dirs, DataSplit split = DataSplit::All,
                                  int validation_permille = kDefaultValidationPermille);
  explicit Hdf5TrainingDataSource(const std::string& dir, DataSplit split = DataSplit::All,
                                  int validation_permille = kDefaultValidationPermille)
      : Hdf5TrainingDataSource(std::vector<std::string>{dir}, split, validation_permille) {}
  ~Hdf5TrainingDataSource() override;

  int64_t size() const override { return static_cast<int64_t>(entries_.size()); }
  int64_t hidden_size() const override { return metadata_.hidden_size; }
  std::vector<int64_t> tap_layers() const override { return metadata_.tap_layers; }
  TrainingSequence get(int64_t index) const override;

  const ShardMetadata& metadata() const { return metadata_; }  // of the first folder's first shard
  int64_t n_tokens() const { return n_tokens_; }                // tokens of the selected sequences
  const std::string& sequence_id(int64_t index) const;          // conversation id of sequence `index`

 private:
  struct Entry {
    int32_t shard;  // index into shards_
    int32_t row;    // sequence within the shard
  };
  const FeatureShardReader& reader(int32_t shard) const;  // caller holds mutex_
  void add_folder(const std::string& dir, DataSplit split, int validation_permille);

  std::vector<std::string> shards_;
  std::vector<Entry> entries_;
  std::vector<std::string> ids_;  // [size()]
  ShardMetadata metadata_;
  int64_t n_tokens_ = 0;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<FeatureShardReader> open_;  // the shard read last
  mutable int32_t open_shard_ = -1;
};

}  // namespace eaglerun
