#include "experiments/feature_shard_reader.h"

#include <filesystem>

#include "core/eagle/draft_head.h"
#include "core/error.h"
#include "core/kernels/matmul.h"

namespace eaglerun {
namespace {

using K = h5::Handle::Kind;

h5::Handle open_dataset(hid_t file, const char* name) {
  return h5::wrap(H5Dopen2(file, name, H5P_DEFAULT), K::Dataset, std::string("missing dataset '") + name + "'");
}

std::vector<int64_t> read_int64_dataset(hid_t file, const char* name) {
  h5::Handle ds = open_dataset(file, name);
  const std::vector<hsize_t> dims = h5::dataset_dims(ds.get(), name);
  require(dims.size() == 1, std::string("dataset '") + name + "' is not one-dimensional");
  std::vector<int64_t> values(dims[0]);
  if (!values.empty()) {
    h5::check(H5Dread(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
              std::string("cannot read dataset '") + name + "'");
  }
  return values;
}

}  // namespace

ShardMetadata read_shard_metadata(hid_t file) {
  const std::string schema = h5::read_string_attribute(file, "schema");
  require(schema == kFeatureSchema, "schema is '" + schema + "', expected '" + kFeatureSchema + "'");
  const int64_t version = h5::read_int_attribute(file, "schema_version");
  require(version == kFeatureSchemaVersion, "schema version " + std::to_string(version) + " is not supported (expected " +
                                                std::to_string(kFeatureSchemaVersion) + ")");
  const std::string dtype = h5::read_string_attribute(file, "feature_dtype");
  require(dtype == kFeatureDtype, "feature dtype '" + dtype + "' is not supported (expected bfloat16)");
  ShardMetadata m;
  m.target_model = h5::read_string_attribute(file, "target_model");
  m.target_model_sha256 = h5::read_string_attribute(file, "target_model_sha256");
  m.target_model_bytes = h5::read_int_attribute(file, "target_model_bytes");
  m.hidden_size = h5::read_int_attribute(file, "hidden_size");
  m.source = h5::read_string_attribute(file, "source");
  m.chat_format = h5::read_string_attribute(file, "chat_format");
  m.max_len = h5::read_int_attribute(file, "max_len");
  m.data_file = h5::read_string_attribute(file, "data_file");
  m.data_sha256 = h5::read_string_attribute(file, "data_sha256");
  m.settings = h5::read_string_attribute(file, "settings");
  m.created_utc = h5::read_string_attribute(file, "created_utc");
  m.shard_index = h5::read_int_attribute(file, "shard_index");
  m.n_sequences = h5::read_int_attribute(file, "n_sequences");
  m.n_tokens = h5::read_int_attribute(file, "n_tokens");
  if (h5::has_attribute(file, "tap_layers")) {
    m.tap_layers = parse_layers(h5::read_string_attribute(file, "tap_layers"), "tap_layers");
  }
  require(m.hidden_size > 0, "hidden_size must be positive");
  return m;
}

FeatureShardReader::FeatureShardReader(const std::string& path) : path_(path) {
  require(std::filesystem::is_regular_file(path), "feature shard '" + path + "' does not exist");
  std::lock_guard lock(h5::hdf5_mutex());
  h5::silence_errors();
  require(H5Fis_hdf5(path.c_str()) > 0, "feature shard '" + path + "' is not an HDF5 file");
  try {
    file_ = h5::wrap(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), K::File, "cannot open the file");
    metadata_ = read_shard_metadata(file_.get());
    open_datasets();
    read_index();
  } catch (const Error& e) {
    throw Error("feature shard '" + path + "': " + e.what());
  }
}

FeatureShardReader::~FeatureShardReader() {
  std::lock_guard lock(h5::hdf5_mutex());
  taps_.reset();
  features_.reset();
  loss_mask_.reset();
  tokens_.reset();
  file_.reset();
}

void FeatureShardReader::open_datasets() {
  tokens_ = open_dataset(file_.get(), "tokens");
  loss_mask_ = open_dataset(file_.get(), "loss_mask");
  features_ = open_dataset(file_.get(), "features");
  if (!metadata_.tap_layers.empty()) taps_ = open_dataset(file_.get(), "taps");
}

void FeatureShardReader::read_index() {
  offsets_ = read_int64_dataset(file_.get(), "offsets");
  ids_ = h5::read_string_dataset(file_.get(), "sequence_ids");
  source_indices_ = read_int64_dataset(file_.get(), "source_index");
  skipped_ = read_int64_dataset(file_.get(), "skipped_source_index");
  const int64_t n = metadata_.n_sequences;
  const int64_t tokens = metadata_.n_tokens;
  require(n >= 0 && tokens >= 0, "n_sequences and n_tokens must not be negative");
  require(static_cast<int64_t>(offsets_.size()) == n + 1 && offsets_.front() == 0 && offsets_.back() == tokens,
          "offsets do not match n_sequences " + std::to_string(n) + " and n_tokens " + std::to_string(tokens));
  for (size_t i = 1; i < offsets_.size(); ++i) {
    require(offsets_[i] > offsets_[i - 1], "offsets are not strictly increasing at " + std::to_string(i));
  }
  require(static_cast<int64_t>(ids_.size()) == n && static_cast<int64_t>(source_indices_.size()) == n,
          "sequence_ids or source_index do not hold n_sequences entries");
  const auto rows = static_cast<hsize_t>(tokens);
  const auto h = static_cast<hsize_t>(metadata_.hidden_size);
  require(h5::dataset_dims(tokens_.get(), "tokens") == std::vector<hsize_t>{rows}, "tokens does not hold n_tokens rows");
  require(h5::dataset_dims(loss_mask_.get(), "loss_mask") == std::vector<hsize_t>{rows},
          "loss_mask does not hold n_tokens rows");
  require(h5::dataset_dims(features_.get(), "features") == std::vector<hsize_t>{rows, h},
          "features is not [n_tokens, hidden_size]");
  if (!metadata_.tap_layers.empty()) {
    require(h5::dataset_dims(taps_.get(), "taps") == std::vector<hsize_t>{rows, h * metadata_.tap_layers.size()},
            "taps is not [n_tokens, hidden_size x tap layers]");
  }
}

void FeatureShardReader::read_rows(const h5::Handle& dataset, hid_t mem_type, void* out, int64_t begin, int64_t rows,
                                   int64_t cols) const {
  const int rank = cols > 0 ? 2 : 1;
  h5::Handle file_space = h5::wrap(H5Dget_space(dataset.get()), K::Dataspace, "cannot select in '" + path_ + "'");
  const hsize_t start[2] = {static_cast<hsize_t>(begin), 0};
  const hsize_t count[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
  h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
            "cannot select rows in '" + path_ + "'");
  h5::Handle mem_space = h5::wrap(H5Screate_simple(rank, count, nullptr), K::Dataspace, "cannot create a dataspace");
  h5::check(H5Dread(dataset.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out),
            "feature shard '" + path_ + "': cannot read rows " + std::to_string(begin) + ".." +
                std::to_string(begin + rows) + " (corrupt file?)");
}

ShardSequence FeatureShardReader::read(int64_t i) const {
  require(i >= 0 && i < n_sequences(), "feature shard '" + path_ + "': sequence " + std::to_string(i) +
                                           " out of range (" + std::to_string(n_sequences()) + " sequences)");
  const int64_t begin = offsets_[i];
  const int64_t t = offsets_[i + 1] - begin;
  const int64_t h = metadata_.hidden_size;
  ShardSequence s;
  s.id = ids_[i];
  s.source_index = source_indices_[i];
  s.tokens.resize(t);
  s.loss_mask.resize(t);
  std::vector<uint16_t> bf16(static_cast<size_t>(t * h));  // [T, H]
  {
    std::lock_guard lock(h5::hdf5_mutex());
    read_rows(tokens_, H5T_NATIVE_INT32, s.tokens.data(), begin, t, 0);
    read_rows(loss_mask_, H5T_NATIVE_UINT8, s.loss_mask.data(), begin, t, 0);
    read_rows(features_, H5T_NATIVE_UINT16, bf16.data(), begin, t, h);
  }
  s.features.resize(bf16.size());
  for (size_t k = 0; k < bf16.size(); ++k) s.features[k] = bf16_to_fp32(bf16[k]);
  const int64_t width = h * static_cast<int64_t>(metadata_.tap_layers.size());
  if (width == 0) return s;
  bf16.resize(static_cast<size_t>(t * width));
  {
    std::lock_guard lock(h5::hdf5_mutex());
    read_rows(taps_, H5T_NATIVE_UINT16, bf16.data(), begin, t, width);
  }
  s.taps.resize(bf16.size());
  for (size_t k = 0; k < bf16.size(); ++k) s.taps[k] = bf16_to_fp32(bf16[k]);
  return s;
}

void FeatureShardReader::read_tokens(std::vector<int32_t>& tokens, std::vector<uint8_t>& loss_mask) const {
  tokens.resize(static_cast<std::size_t>(n_tokens()));
  loss_mask.resize(static_cast<std::size_t>(n_tokens()));
  std::lock_guard lock(h5::hdf5_mutex());
  read_rows(tokens_, H5T_NATIVE_INT32, tokens.data(), 0, n_tokens(), 0);
  read_rows(loss_mask_, H5T_NATIVE_UINT8, loss_mask.data(), 0, n_tokens(), 0);
}

}  // namespace eaglerun
