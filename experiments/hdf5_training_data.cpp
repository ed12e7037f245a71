#include "experiments/hdf5_training_data.h"

#include "core/error.h"
#include "experiments/feature_shard_reader.h"
#include "experiments/feature_store.h"

namespace eaglerun {

Hdf5TrainingDataSource::Hdf5TrainingDataSource(const std::string& dir, DataSplit split, int validation_permille)
    : shards_(list_shards(dir)) {
  require(validation_permille >= 0 && validation_permille <= 1000, "validation permille must be 0..1000");
  require(!shards_.empty(), "no feature shards (shard-NNNNNN.h5) in '" + dir + "'");
  for (size_t s = 0; s < shards_.size(); ++s) {
    const FeatureShardReader shard(shards_[s]);
    if (s == 0) metadata_ = shard.metadata();
    const std::string diff = metadata_.difference(shard.metadata());
    require(diff.empty(), "feature shard '" + shards_[s] + "' comes from another extraction than '" + shards_[0] +
                              "' (" + diff + ")");
    for (int64_t row = 0; row < shard.n_sequences(); ++row) {
      const std::string& id = shard.sequence_ids()[row];
      if (!in_split(id, split, validation_permille)) continue;
      entries_.push_back({static_cast<int32_t>(s), static_cast<int32_t>(row)});
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
  return {std::move(s.tokens), std::move(s.features), std::move(s.loss_mask)};
}

}  // namespace eaglerun
