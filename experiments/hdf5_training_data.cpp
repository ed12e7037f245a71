#include "experiments/hdf5_training_data.h"

#include "core/error.h"
#include "experiments/feature_shard_reader.h"
#include "experiments/feature_store.h"

namespace eaglerun {

Hdf5TrainingDataSource::Hdf5TrainingDataSource(const std::vector<std::string>& dirs, DataSplit split,
                                               int validation_permille) {
  require(validation_permille >= 0 && validation_permille <= 1000, "validation permille must be 0..1000");
  require(!dirs.empty(), "no feature folder given");
  for (const std::string& dir : dirs) add_folder(dir, split, validation_permille);
}

void Hdf5TrainingDataSource::add_folder(const std::string& dir, DataSplit split, int validation_permille) {
  const std::vector<std::string> shards = list_shards(dir);
  require(!shards.empty(), "no feature shards (shard-NNNNNN.h5) in '" + dir + "'");
  const size_t first = shards_.size();
  ShardMetadata folder;
  for (size_t s = 0; s < shards.size(); ++s) {
    const FeatureShardReader shard(shards[s]);
    if (s == 0) {
      folder = shard.metadata();
      if (first == 0) metadata_ = folder;
      const std::string diff = metadata_.target_difference(folder);
      require(diff.empty(), "feature folder '" + dir + "' was extracted from another target than the first folder's (" +
                                diff + ")");
    }
    const std::string diff = folder.difference(shard.metadata());
    require(diff.empty(), "feature shard '" + shards[s] + "' comes from another extraction than '" + shards[0] +
                              "' (" + diff + ")");
    shards_.push_back(shards[s]);
    for (int64_t row = 0; row < shard.n_sequences(); ++row) {
      const std::string& id = shard.sequence_ids()[row];
      if (!in_split(id, split, validation_permille)) continue;
      entries_.push_back({static_cast<int32_t>(first + s), static_cast<int32_t>(row)});
      ids_.push_back(id);
      n_tokens_ += shard.offsets()[row + 1] - shard.offsets()[row];
    }
  }
}

Hdf5TrainingDataSource::~Hdf5TrainingDataSource() = default;

const std::string& Hdf5TrainingDataSource::sequence_id(int64_t index) const {
  require(index >= 0 && index < size(), "training sequence " + std::to_string(index) + " out of range");
  return ids_[static_cast<size_t>(index)];
}

const FeatureShardReader& Hdf5TrainingDataSource::reader(int32_t shard) const {
  if (open_shard_ != shard) {
    open_.reset();
    open_shard_ = -1;
    open_ = std::make_unique<FeatureShardReader>(shards_[static_cast<size_t>(shard)]);
    open_shard_ = shard;
  }
  return *open_;
}

TrainingSequence Hdf5TrainingDataSource::get(int64_t index) const {
  require(index >= 0 && index < size(), "training sequence " + std::to_string(index) + " out of range (" +
                                            std::to_string(size()) + " sequences)");
  const Entry e = entries_[static_cast<size_t>(index)];
  ShardSequence s;
  {
    std::lock_guard lock(mutex_);
    s = reader(e.shard).read(e.row);
  }
  return {std::move(s.tokens), std::move(s.features), std::move(s.loss_mask), std::move(s.taps)};
}

}  // namespace eaglerun
