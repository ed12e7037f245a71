#pragma once
// Writes one feature shard (feature_shard.h) sequence by sequence. tokens, loss_mask and features are
// chunked, extendible datasets (shuffle + deflate) appended to per sequence, so memory stays at a few
// chunks whatever the shard's size; the small per-sequence datasets are written by finish().
// A shard that was not finish()ed is incomplete: the store renames only finished shards.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "experiments/feature_shard.h"
#include "experiments/hdf5_util.h"

namespace eaglerun {

struct ShardWriteOptions {
  int deflate_level = 4;           // 0 (none) .. 9; shuffle is always on
  int64_t chunk_bytes = 1 << 20;   // target size of one features chunk (rows = chunk_bytes / (2 H))
};

class FeatureShardWriter {
 public:
  // Creates (or truncates) `path`; throws Error when it cannot.
  FeatureShardWriter(const std::string& path, const ShardMetadata& metadata, const ShardWriteOptions& options = {});
  ~FeatureShardWriter();
  FeatureShardWriter(const FeatureShardWriter&) = delete;
  FeatureShardWriter& operator=(const FeatureShardWriter&) = delete;

  // tokens, loss_mask: [T]; features: [T, H] and taps [T, k H] (k = metadata's tap layers; empty for
  // none) fp32, stored as bfloat16 (round to nearest even).
  void append(const std::string& id, int64_t source_index, std::span<const int32_t> tokens,
              std::span<const uint8_t> loss_mask, std::span<const float> features, std::span<const float> taps = {});
  // A data-file line handled while this shard was open but not stored (e.g. no loss tokens), so a
  // resumed extraction does not process it again.
  void record_skipped(int64_t source_index);
  // Writes offsets, ids, indices and counts, flushes and closes the file.
  void finish();

  int64_t n_sequences() const { return static_cast<int64_t>(ids_.size()); }
  int64_t n_tokens() const { return offsets_.back(); }
  const std::string& path() const { return path_; }

 private:
  void create_datasets(const ShardWriteOptions& options);
  void append_rows(const h5::Handle& dataset, hid_t mem_type, const void* data, int64_t rows, int64_t cols);

  std::string path_;
  ShardMetadata metadata_;
  int64_t tap_width() const { return metadata_.hidden_size * static_cast<int64_t>(metadata_.tap_layers.size()); }

  h5::Handle file_, tokens_, loss_mask_, features_, taps_;
  std::vector<int64_t> offsets_{0};          // [n_sequences + 1]
  std::vector<std::string> ids_;             // [n_sequences]
  std::vector<int64_t> source_indices_;      // [n_sequences]
  std::vector<int64_t> skipped_;             // [n_skipped]
  std::vector<uint16_t> bf16_;               // [T, H] or [T, k H] conversion buffer, reused
};

// Writes every attribute of `metadata` on an open file or object.
void write_shard_metadata(hid_t object, const ShardMetadata& metadata);

}  // namespace eaglerun
