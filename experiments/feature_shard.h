#pragma once
// One HDF5 shard of target features for draft-head training (schema "eaglerun.features",
// documented in docs/HDF5_SCHEMA.md). A shard holds whole sequences, concatenated:
//   tokens      int32  [n_tokens]            token ids
//   loss_mask   uint8  [n_tokens]            1 on assistant content tokens and their end-of-turn token
//   features    uint16 [n_tokens, H]         bfloat16 bits of the target's top-layer feature (after the final norm)
//   taps        uint16 [n_tokens, k H]       only with k tap layers (attribute tap_layers): bfloat16 bits of the
//                                            target's taps (core/model/model.h), tap t of row i at columns [t H, (t+1) H)
//   offsets     int64  [n_sequences + 1]     sequence i is rows [offsets[i], offsets[i+1])
//   sequence_ids          string [n_sequences]  conversation ids from the data file
//   source_index          int64  [n_sequences]  0-based line of the conversation in the data file
//   skipped_source_index  int64  [n_skipped]    lines processed with this shard but not stored (no loss tokens)
#include <cstdint>
#include <string>
#include <vector>

namespace eaglerun {

inline constexpr const char* kFeatureSchema = "eaglerun.features";
inline constexpr int64_t kFeatureSchemaVersion = 1;
inline constexpr const char* kFeatureDtype = "bfloat16";

// File attributes of a shard. Two shards belong to one store when every field but shard_index,
// n_sequences, n_tokens and created_utc agrees (same_store()).
struct ShardMetadata {
  std::string target_model;         // model path as given to extract
  std::string target_model_sha256;  // of the model file (of the sorted per-file hashes for a folder)
  int64_t target_model_bytes = 0;   // size of the model file (all files for a folder)
  int64_t hidden_size = 0;          // H
  std::string source;               // "sharegpt" (answers from the data) or "regenerated" (answers by the target)
  std::string chat_format;          // template the conversations were rendered with, e.g. "chatml"
  int64_t max_len = 0;              // sequences were truncated to this many tokens
  std::string data_file;            // the conversation JSONL
  std::string data_sha256;          // of the data file
  std::string settings;             // JSON object of the remaining creation settings (precision, regeneration)
  std::string created_utc;          // ISO 8601, when the shard was started
  int64_t shard_index = 0;          // n in shard-NNNNNN.h5
  int64_t n_sequences = 0;          // sequences stored
  int64_t n_tokens = 0;             // tokens stored (rows of features)
  std::vector<int64_t> tap_layers;  // attribute "tap_layers" ("1,14"; absent or "" for none): the taps' layers

  // Empty when both describe the same extraction; else the first differing field, "name: a vs b".
  std::string difference(const ShardMetadata& other) const;
  // The same for the target alone (model file, hidden size and tap layers): extractions that may train together.
  std::string target_difference(const ShardMetadata& other) const;
};

// One stored sequence, features decoded to fp32.
struct ShardSequence {
  std::string id;                  // conversation id
  int64_t source_index = -1;       // line in the data file
  std::vector<int32_t> tokens;     // [T]
  std::vector<uint8_t> loss_mask;  // [T]
  std::vector<float> features;     // [T, H]
  std::vector<float> taps;         // [T, k H] (empty without tap layers)
};

// The current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_now();

}  // namespace eaglerun
