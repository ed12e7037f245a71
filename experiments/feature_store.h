#pragma once
// A folder of feature shards made by one extraction:
//   shard-000000.h5, shard-000001.h5, ...   finished shards (feature_shard.h), each renamed into place
//                                           only after it was completely written, flushed and fsync'ed
//   shard-000007.h5.partial                 the shard being written; removed by the next run
//   progress.json                           counts after the last finished shard (informational)
// A run that is killed loses at most the partial shard; the next run skips every data-file line that a
// finished shard stored or recorded as skipped, so nothing is duplicated or lost.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "experiments/feature_shard.h"

namespace eaglerun {

inline constexpr const char* kPartialSuffix = ".partial";

std::string shard_file_name(int64_t index);  // "shard-000123.h5"

// Finished shards in the folder, sorted by name (full paths). An absent folder has none.
std::vector<std::string> list_shards(const std::string& dir);

// Deletes *.partial shards left by an interrupted run; returns how many.
int64_t remove_partial_shards(const std::string& dir);

struct StoreScan {
  std::vector<std::string> shards;         // finished shards, sorted
  std::optional<ShardMetadata> metadata;   // of the first shard; every shard agrees with it
  std::unordered_set<int64_t> done;        // data-file lines stored or skipped
  int64_t next_shard_index = 0;            // one past the highest shard index
  int64_t sequences = 0;                   // stored sequences
  int64_t tokens = 0;                      // stored tokens
  int64_t skipped = 0;                     // recorded skipped lines
};

// Reads the index of every finished shard. Throws Error for a malformed shard, shards from different
// extractions, or a data-file line stored twice.
StoreScan scan_store(const std::string& dir);

// fsyncs `partial`, renames it to `final_path` and fsyncs the folder.
void commit_shard(const std::string& partial, const std::string& final_path);

// Writes `text` to dir/name atomically (temporary file + rename).
void write_file_atomically(const std::string& dir, const std::string& name, const std::string& text);

}  // namespace eaglerun
