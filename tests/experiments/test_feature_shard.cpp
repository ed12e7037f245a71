// Feature shards: write/read round trip, bfloat16 rounding, and clear errors for malformed files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/error.h"
#include "experiments/feature_shard_reader.h"
#include "experiments/feature_shard_writer.h"
#include "experiments/hdf5_util.h"
#include "tests/experiments/test_paths_experiments.h"

namespace eaglerun {
namespace {

constexpr int64_t kH = 24;

ShardMetadata test_metadata() {
  ShardMetadata m;
  m.target_model = "/models/test.gguf";
  m.target_model_sha256 = std::string(64, 'a');
  m.target_model_bytes = 123;
  m.hidden_size = kH;
  m.source = "sharegpt";
  m.chat_format = "chatml";
  m.max_len = 64;
  m.data_file = "/data/test.jsonl";
  m.data_sha256 = std::string(64, 'b');
  m.settings = R"({"precision":"fast"})";
  m.created_utc = utc_now();
  m.shard_index = 3;
  return m;
}

struct TestSequence {
  std::string id;
  std::vector<int32_t> tokens;
  std::vector<uint8_t> mask;
  std::vector<float> features;  // [T, kH]
};

TestSequence random_sequence(std::mt19937& rng, const std::string& id, int64_t t) {
  std::normal_distribution<float> normal(0.f, 3.f);
  TestSequence s{id, {}, {}, {}};
  for (int64_t i = 0; i < t; ++i) {
    s.tokens.push_back(static_cast<int32_t>(rng() % 49152));
    s.mask.push_back(static_cast<uint8_t>(rng() % 2));
  }
  for (int64_t i = 0; i < t * kH; ++i) s.features.push_back(normal(rng));
  return s;
}

std::string write_shard(const std::string& path, const std::vector<TestSequence>& seqs, ShardWriteOptions options = {}) {
  FeatureShardWriter w(path + ".partial", test_metadata(), options);
  for (size_t i = 0; i < seqs.size(); ++i) {
    w.append(seqs[i].id, static_cast<int64_t>(10 + i), seqs[i].tokens, seqs[i].mask, seqs[i].features);
  }
  w.record_skipped(99);
  w.finish();
  std::filesystem::rename(path + ".partial", path);
  return path;
}

TEST(FeatureShard, RoundTripKeepsTokensMaskIdsAndFeaturesToBf16Precision) {
  const std::string dir = test::fresh_temp_dir("shard_roundtrip");
  std::mt19937 rng(7);
  std::vector<TestSequence> seqs;
  for (int64_t t : {1, 17, 300, 2000, 5}) seqs.push_back(random_sequence(rng, "conv_" + std::to_string(t), t));
  ShardWriteOptions small_chunks;
  small_chunks.chunk_bytes = 1000;  // many chunks, partial chunks across sequence boundaries
  const FeatureShardReader r(write_shard(dir + "/shard-000003.h5", seqs, small_chunks));

  EXPECT_EQ(r.metadata().difference(test_metadata()), "");
  EXPECT_EQ(r.metadata().shard_index, 3);
  ASSERT_EQ(r.n_sequences(), 5);
  EXPECT_EQ(r.n_tokens(), 1 + 17 + 300 + 2000 + 5);
  EXPECT_EQ(r.skipped_source_indices(), std::vector<int64_t>{99});
  for (size_t i = 0; i < seqs.size(); ++i) {
    const ShardSequence s = r.read(static_cast<int64_t>(i));
    EXPECT_EQ(s.id, seqs[i].id);
    EXPECT_EQ(s.source_index, static_cast<int64_t>(10 + i));
    EXPECT_EQ(s.tokens, seqs[i].tokens);
    EXPECT_EQ(s.loss_mask, seqs[i].mask);
    ASSERT_EQ(s.features.size(), seqs[i].features.size());
    for (size_t k = 0; k < s.features.size(); ++k) {
      const float x = seqs[i].features[k];
      ASSERT_LE(std::fabs(s.features[k] - x), std::fabs(x) * (1.f / 256.f) + 1e-30f) << i << "," << k;
    }
  }
}

// Taps: stored beside the features, read back per sequence, named in the file's tap_layers; a shard
// with other tap layers belongs to another store; a sequence with the wrong number of tap values is refused.
TEST(FeatureShard, TapsRoundTripWithTheirLayers) {
  const std::string dir = test::fresh_temp_dir("shard_taps");
  ShardMetadata m = test_metadata();
  m.tap_layers = {1, 7};
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<TestSequence> seqs;
  std::vector<std::vector<float>> taps;
  for (int64_t t : {5, 40, 3}) {
    seqs.push_back(random_sequence(rng, "taps_" + std::to_string(t), t));
    taps.emplace_back(static_cast<std::size_t>(t * 2 * kH));
    for (float& v : taps.back()) v = normal(rng);
  }
  {
    FeatureShardWriter w(dir + "/shard-000000.h5", m);
    for (size_t i = 0; i < seqs.size(); ++i) {
      w.append(seqs[i].id, static_cast<int64_t>(i), seqs[i].tokens, seqs[i].mask, seqs[i].features, taps[i]);
    }
    EXPECT_THROW(w.append("short", 9, seqs[0].tokens, seqs[0].mask, seqs[0].features, taps[1]), Error);
    EXPECT_THROW(w.append("none", 9, seqs[0].tokens, seqs[0].mask, seqs[0].features), Error);
    w.finish();
  }
  const FeatureShardReader r(dir + "/shard-000000.h5");
  EXPECT_EQ(r.metadata().tap_layers, (std::vector<int64_t>{1, 7}));
  EXPECT_EQ(r.metadata().difference(m), "");
  EXPECT_NE(r.metadata().target_difference(test_metadata()), "");  // no taps: may not train together
  for (size_t i = 0; i < seqs.size(); ++i) {
    const ShardSequence s = r.read(static_cast<int64_t>(i));
    ASSERT_EQ(s.taps.size(), taps[i].size());
    for (size_t k = 0; k < s.taps.size(); ++k) ASSERT_LE(std::fabs(s.taps[k] - taps[i][k]), std::fabs(taps[i][k]) / 256.f);
  }
  // A shard without taps reads none.
  EXPECT_TRUE(FeatureShardReader(write_shard(dir + "/shard-000001.h5", seqs)).read(0).taps.empty());
}

TEST(FeatureShard, ValuesExactInBf16RoundTripExactly) {
  const std::string dir = test::fresh_temp_dir("shard_exact");
  TestSequence s{"exact", {1, 2, 3}, {0, 1, 1}, {}};
  for (int64_t i = 0; i < 3 * kH; ++i) s.features.push_back(std::ldexp(static_cast<float>(i % 256 - 128), -3));
  s.features[0] = -0.f;
  const FeatureShardReader r(write_shard(dir + "/shard-000000.h5", {s}));
  EXPECT_EQ(r.read(0).features, s.features);
  EXPECT_TRUE(std::signbit(r.read(0).features[0]));
}

TEST(FeatureShard, EmptyShardIsValid) {
  const std::string dir = test::fresh_temp_dir("shard_empty");
  const FeatureShardReader r(write_shard(dir + "/shard-000000.h5", {}));
  EXPECT_EQ(r.n_sequences(), 0);
  EXPECT_EQ(r.n_tokens(), 0);
  EXPECT_THROW(r.read(0), Error);
}

TEST(FeatureShard, WriterRejectsMismatchedSizes) {
  const std::string dir = test::fresh_temp_dir("shard_sizes");
  FeatureShardWriter w(dir + "/x.h5", test_metadata());
  const std::vector<int32_t> tokens = {1, 2};
  const std::vector<uint8_t> mask = {1};
  const std::vector<float> features(2 * kH);
  EXPECT_THROW(w.append("bad", 0, tokens, mask, features), Error);
  EXPECT_THROW(w.append("empty", 0, {}, {}, {}), Error);
}

std::string error_of(const std::string& path) {
  try {
    FeatureShardReader r(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(FeatureShardMalformed, MissingFile) {
  EXPECT_NE(error_of("/nonexistent/shard-000000.h5").find("does not exist"), std::string::npos);
}

TEST(FeatureShardMalformed, NotHdf5) {
  const std::string path = test::fresh_temp_dir("shard_garbage") + "/shard-000000.h5";
  std::ofstream(path) << "this is not an HDF5 file";
  const std::string e = error_of(path);
  EXPECT_NE(e.find("is not an HDF5 file"), std::string::npos) << e;
}

TEST(FeatureShardMalformed, TruncatedFile) {
  const std::string dir = test::fresh_temp_dir("shard_truncated");
  std::mt19937 rng(1);
  const std::string path = write_shard(dir + "/shard-000000.h5", {random_sequence(rng, "a", 500)});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  const std::string e = error_of(path);
  EXPECT_NE(e.find(path), std::string::npos) << e;
  EXPECT_FALSE(e.empty());
}

// An HDF5 file written with the raw C API, for shards missing or misdeclaring one piece.
void write_custom(const std::string& path, const std::string& schema, bool with_offsets, int64_t n_tokens_attr) {
  std::lock_guard lock(h5::hdf5_mutex());
  h5::Handle f(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), h5::Handle::Kind::File);
  ShardMetadata m = test_metadata();
  m.n_sequences = 1;
  m.n_tokens = n_tokens_attr;
  write_shard_metadata(f.get(), m);
  h5::write_attribute(f.get(), "schema", schema);
  auto dataset = [&](const char* name, hid_t type, std::vector<hsize_t> dims, const void* data) {
    h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), h5::Handle::Kind::Dataspace);
    h5::Handle ds(H5Dcreate2(f.get(), name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  h5::Handle::Kind::Dataset);
    H5Dwrite(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  };
  const std::vector<int32_t> tokens = {5, 6};
  const std::vector<uint8_t> mask = {0, 1};
  const std::vector<uint16_t> features(2 * kH, 0x3f80);
  const std::vector<int64_t> offsets = {0, 2}, index = {0}, skipped;
  dataset("tokens", H5T_NATIVE_INT32, {2}, tokens.data());
  dataset("loss_mask", H5T_NATIVE_UINT8, {2}, mask.data());
  dataset("features", H5T_NATIVE_UINT16, {2, kH}, features.data());
  if (with_offsets) dataset("offsets", H5T_NATIVE_INT64, {2}, offsets.data());
  dataset("source_index", H5T_NATIVE_INT64, {1}, index.data());
  dataset("skipped_source_index", H5T_NATIVE_INT64, {0}, skipped.data());
  h5::write_string_dataset(f.get(), "sequence_ids", {"x"});
}

TEST(FeatureShardMalformed, CustomFileReadsWhenComplete) {
  const std::string path = test::fresh_temp_dir("shard_custom_ok") + "/shard-000000.h5";
  write_custom(path, kFeatureSchema, true, 2);
  const FeatureShardReader r(path);
  EXPECT_EQ(r.read(0).features.front(), 1.0f);
}

TEST(FeatureShardMalformed, WrongSchema) {
  const std::string path = test::fresh_temp_dir("shard_schema") + "/shard-000000.h5";
  write_custom(path, "something.else", true, 2);
  const std::string e = error_of(path);
  EXPECT_NE(e.find("schema is 'something.else'"), std::string::npos) << e;
}

TEST(FeatureShardMalformed, MissingDataset) {
  const std::string path = test::fresh_temp_dir("shard_missing") + "/shard-000000.h5";
  write_custom(path, kFeatureSchema, false, 2);
  const std::string e = error_of(path);
  EXPECT_NE(e.find("missing dataset 'offsets'"), std::string::npos) << e;
}

TEST(FeatureShardMalformed, CountsDisagreeWithDatasets) {
  const std::string path = test::fresh_temp_dir("shard_counts") + "/shard-000000.h5";
  write_custom(path, kFeatureSchema, true, 3);
  const std::string e = error_of(path);
  EXPECT_NE(e.find("offsets do not match"), std::string::npos) << e;
}

}  // namespace
}  // namespace eaglerun
