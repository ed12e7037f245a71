#include "experiments/feature_shard_writer.h"

#include <algorithm>

#include "core/eagle/draft_head.h"
#include "core/error.h"
#include "core/kernels/matmul.h"

namespace eaglerun {
namespace {

using K = h5::Handle::Kind;

// An empty, extendible dataset [0] or [0, cols] with chunks of chunk_rows rows, shuffle + deflate.
h5::Handle create_extendible(hid_t file, const char* name, hid_t type, int64_t cols, int64_t chunk_rows,
                             int deflate_level, size_t cache_bytes) {
  const int rank = cols > 0 ? 2 : 1;
  const hsize_t dims[2] = {0, static_cast<hsize_t>(cols)};
  const hsize_t maxdims[2] = {H5S_UNLIMITED, static_cast<hsize_t>(cols)};
  const hsize_t chunk[2] = {static_cast<hsize_t>(chunk_rows), static_cast<hsize_t>(cols)};
  h5::Handle space = h5::wrap(H5Screate_simple(rank, dims, maxdims), K::Dataspace, "cannot create a dataspace");
  h5::Handle dcpl = h5::wrap(H5Pcreate(H5P_DATASET_CREATE), K::PropertyList, "cannot create a property list");
  h5::check(H5Pset_chunk(dcpl.get(), rank, chunk), std::string("cannot chunk ") + name);
  h5::check(H5Pset_shuffle(dcpl.get()), std::string("cannot set shuffle on ") + name);
  if (deflate_level > 0) h5::check(H5Pset_deflate(dcpl.get(), deflate_level), std::string("cannot deflate ") + name);
  h5::Handle dapl = h5::wrap(H5Pcreate(H5P_DATASET_ACCESS), K::PropertyList, "cannot create a property list");
  h5::check(H5Pset_chunk_cache(dapl.get(), 521, cache_bytes, 1.0), std::string("cannot size the cache of ") + name);
  return h5::wrap(H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, dcpl.get(), dapl.get()), K::Dataset,
                  std::string("cannot create dataset ") + name);
}

void write_int64_dataset(hid_t file, const char* name, const std::vector<int64_t>& values) {
  const hsize_t n = values.size();
  h5::Handle space = h5::wrap(H5Screate_simple(1, &n, nullptr), K::Dataspace, "cannot create a dataspace");
  h5::Handle ds = h5::wrap(H5Dcreate2(file, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                           K::Dataset, std::string("cannot create dataset ") + name);
  if (n > 0) {
    h5::check(H5Dwrite(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
              std::string("cannot write ") + name);
  }
}

}  // namespace

void write_shard_metadata(hid_t object, const ShardMetadata& m) {
  h5::write_attribute(object, "schema", std::string(kFeatureSchema));
  h5::write_attribute(object, "schema_version", kFeatureSchemaVersion);
  h5::write_attribute(object, "target_model", m.target_model);
  h5::write_attribute(object, "target_model_sha256", m.target_model_sha256);
  h5::write_attribute(object, "target_model_bytes", m.target_model_bytes);
  h5::write_attribute(object, "hidden_size", m.hidden_size);
  h5::write_attribute(object, "feature_dtype", std::string(kFeatureDtype));
  h5::write_attribute(object, "source", m.source);
  h5::write_attribute(object, "chat_format", m.chat_format);
  h5::write_attribute(object, "max_len", m.max_len);
  h5::write_attribute(object, "data_file", m.data_file);
  h5::write_attribute(object, "data_sha256", m.data_sha256);
  h5::write_attribute(object, "settings", m.settings);
  h5::write_attribute(object, "created_utc", m.created_utc);
  h5::write_attribute(object, "shard_index", m.shard_index);
  h5::write_attribute(object, "n_sequences", m.n_sequences);
  h5::write_attribute(object, "n_tokens", m.n_tokens);
  if (!m.tap_layers.empty()) h5::write_attribute(object, "tap_layers", join_layers(m.tap_layers));
}

FeatureShardWriter::FeatureShardWriter(const std::string& path, const ShardMetadata& metadata,
                                       const ShardWriteOptions& options)
    : path_(path), metadata_(metadata) {
  require(metadata.hidden_size > 0, "feature shard: hidden size must be positive");
  require(options.deflate_level >= 0 && options.deflate_level <= 9, "feature shard: deflate level must be 0..9");
  std::lock_guard lock(h5::hdf5_mutex());
  h5::silence_errors();
  file_ = h5::wrap(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), K::File,
                   "cannot create feature shard '" + path + "'");
  write_shard_metadata(file_.get(), metadata_);
  create_datasets(options);
}

FeatureShardWriter::~FeatureShardWriter() {
  std::lock_guard lock(h5::hdf5_mutex());
  taps_.reset();
  features_.reset();
  loss_mask_.reset();
  tokens_.reset();
  file_.reset();
}

void FeatureShardWriter::create_datasets(const ShardWriteOptions& options) {
  const int64_t h = metadata_.hidden_size;
  const int64_t feature_rows = std::clamp<int64_t>(options.chunk_bytes / (2 * h), 16, 1 << 16);
  const size_t feature_cache = static_cast<size_t>(4 * feature_rows * h * 2);
  constexpr int64_t kTokenChunk = 1 << 16;
  tokens_ = create_extendible(file_.get(), "tokens", H5T_STD_I32LE, 0, kTokenChunk, options.deflate_level, 4 << 20);
  loss_mask_ = create_extendible(file_.get(), "loss_mask", H5T_STD_U8LE, 0, kTokenChunk, options.deflate_level, 1 << 20);
  features_ = create_extendible(file_.get(), "features", H5T_STD_U16LE, h, feature_rows, options.deflate_level,
                                feature_cache);
  h5::write_attribute(features_.get(), "dtype", std::string(kFeatureDtype));
  h5::write_attribute(features_.get(), "description",
                      std::string("bfloat16 bits (upper 16 bits of the fp32 value, rounded to nearest even) of the "
                                  "target's top-layer hidden state after the final norm; row t belongs to tokens[t]"));
  const int64_t width = tap_width();
  if (width == 0) return;
  taps_ = create_extendible(file_.get(), "taps", H5T_STD_U16LE, width, feature_rows, options.deflate_level,
                            feature_cache * static_cast<size_t>(metadata_.tap_layers.size()));
  h5::write_attribute(taps_.get(), "dtype", std::string(kFeatureDtype));
  h5::write_attribute(taps_.get(), "description",
                      std::string("bfloat16 bits of the target's residual stream after each layer of the file's "
                                  "tap_layers, divided by its RMS; row t belongs to tokens[t], tap k at columns "
                                  "[k H, (k+1) H)"));
}

void FeatureShardWriter::append_rows(const h5::Handle& dataset, hid_t mem_type, const void* data, int64_t rows,
                                     int64_t cols) {
  const int rank = cols > 0 ? 2 : 1;
  const hsize_t old_rows = static_cast<hsize_t>(offsets_.back());
  const hsize_t new_dims[2] = {old_rows + static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
  h5::check(H5Dset_extent(dataset.get(), new_dims), "cannot extend a dataset of '" + path_ + "'");
  h5::Handle file_space = h5::wrap(H5Dget_space(dataset.get()), K::Dataspace, "cannot select in '" + path_ + "'");
  const hsize_t start[2] = {old_rows, 0};
  const hsize_t count[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
  h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
            "cannot select rows in '" + path_ + "'");
  h5::Handle mem_space = h5::wrap(H5Screate_simple(rank, count, nullptr), K::Dataspace, "cannot create a dataspace");
  h5::check(H5Dwrite(dataset.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data),
            "cannot write to '" + path_ + "' (disk full?)");
}

void FeatureShardWriter::append(const std::string& id, int64_t source_index, std::span<const int32_t> tokens,
                                std::span<const uint8_t> loss_mask, std::span<const float> features,
                                std::span<const float> taps) {
  const auto t = static_cast<int64_t>(tokens.size());
  const int64_t h = metadata_.hidden_size;
  require(file_.valid(), "feature shard '" + path_ + "' is already finished");
  require(t > 0, "feature shard: empty sequence '" + id + "'");
  require(static_cast<int64_t>(loss_mask.size()) == t && static_cast<int64_t>(features.size()) == t * h,
          "feature shard: sequence '" + id + "' has mismatched token, mask and feature sizes");
  require(static_cast<int64_t>(taps.size()) == t * tap_width(),
          "feature shard: sequence '" + id + "' has " + std::to_string(taps.size()) + " tap values, expected " +
              std::to_string(t * tap_width()));
  bf16_.resize(features.size());
  std::transform(features.begin(), features.end(), bf16_.begin(), fp32_to_bf16);
  std::lock_guard lock(h5::hdf5_mutex());
  append_rows(tokens_, H5T_NATIVE_INT32, tokens.data(), t, 0);
  append_rows(loss_mask_, H5T_NATIVE_UINT8, loss_mask.data(), t, 0);
  append_rows(features_, H5T_NATIVE_UINT16, bf16_.data(), t, h);
  if (tap_width() > 0) {
    bf16_.resize(taps.size());
    std::transform(taps.begin(), taps.end(), bf16_.begin(), fp32_to_bf16);
    append_rows(taps_, H5T_NATIVE_UINT16, bf16_.data(), t, tap_width());
  }
  offsets_.push_back(offsets_.back() + t);
  ids_.push_back(id);
  source_indices_.push_back(source_index);
}

void FeatureShardWriter::record_skipped(int64_t source_index) { skipped_.push_back(source_index); }

void FeatureShardWriter::finish() {
  require(file_.valid(), "feature shard '" + path_ + "' is already finished");
  std::lock_guard lock(h5::hdf5_mutex());
  write_int64_dataset(file_.get(), "offsets", offsets_);
  h5::write_string_dataset(file_.get(), "sequence_ids", ids_);
  write_int64_dataset(file_.get(), "source_index", source_indices_);
  write_int64_dataset(file_.get(), "skipped_source_index", skipped_);
  h5::write_attribute(file_.get(), "n_sequences", n_sequences());
  h5::write_attribute(file_.get(), "n_tokens", n_tokens());
  features_.reset();
  loss_mask_.reset();
  tokens_.reset();
  h5::check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), "cannot flush '" + path_ + "' (disk full?)");
  h5::check(H5Fclose(file_.release()), "cannot close '" + path_ + "' (disk full?)");
}

}  // namespace eaglerun
