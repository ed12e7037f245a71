#include "experiments/feature_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "experiments/feature_shard_reader.h"

namespace eaglerun {
namespace fs = std::filesystem;
namespace {

bool is_shard_name(const std::string& name) {
  return name.size() == 15 && name.starts_with("shard-") && name.ends_with(".h5") &&
         std::all_of(name.begin() + 6, name.begin() + 12, [](char c) { return c >= '0' && c <= '9'; });
}

void fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  require(fd >= 0, "cannot open '" + path + "' to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  require(rc == 0, "cannot sync '" + path + "' (disk full?)");
}

void add_shard(StoreScan& scan, const std::string& path) {
  const FeatureShardReader shard(path);
  const ShardMetadata& m = shard.metadata();
  if (!scan.metadata) scan.metadata = m;
  if (const std::string diff = scan.metadata->difference(m); !diff.empty()) {
    throw Error("feature shard '" + path + "' comes from another extraction than '" + scan.shards.front() + "' (" +
                diff + ")");
  }
  auto mark = [&](int64_t index) {
    if (!scan.done.insert(index).second) {
      throw Error("feature shard '" + path + "': data-file line " + std::to_string(index) + " is in two shards");
    }
  };
  for (int64_t i : shard.source_indices()) mark(i);
  for (int64_t i : shard.skipped_source_indices()) mark(i);
  scan.shards.push_back(path);
  scan.next_shard_index = std::max(scan.next_shard_index, m.shard_index + 1);
  scan.sequences += shard.n_sequences();
  scan.tokens += shard.n_tokens();
  scan.skipped += static_cast<int64_t>(shard.skipped_source_indices().size());
}

}  // namespace

std::string shard_file_name(int64_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "shard-%06lld.h5", static_cast<long long>(index));
  return name;
}

std::vector<std::string> list_shards(const std::string& dir) {
  std::vector<std::string> shards;
  if (!fs::is_directory(dir)) return shards;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && is_shard_name(entry.path().filename().string())) {
      shards.push_back(entry.path().string());
    }
  }
  std::sort(shards.begin(), shards.end());
  return shards;
}

int64_t remove_partial_shards(const std::string& dir) {
  int64_t removed = 0;
  if (!fs::is_directory(dir)) return 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(kPartialSuffix) && name.starts_with("shard-")) removed += fs::remove(entry.path()) ? 1 : 0;
  }
  return removed;
}

StoreScan scan_store(const std::string& dir) {
  StoreScan scan;
  for (const std::string& path : list_shards(dir)) add_shard(scan, path);
  return scan;
}

void commit_shard(const std::string& partial, const std::string& final_path) {
  fsync_path(partial, false);
  std::error_code ec;
  fs::rename(partial, final_path, ec);
  require(!ec, "cannot rename '" + partial + "' to '" + final_path + "': " + ec.message());
  const fs::path parent = fs::path(final_path).parent_path();
  fsync_path(parent.empty() ? "." : parent.string(), true);
}

void write_file_atomically(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string tmp = (fs::path(dir) / (name + ".tmp")).string();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    require(out.good(), "cannot write '" + tmp + "'");
  }
  std::error_code ec;
  fs::rename(tmp, fs::path(dir) / name, ec);
  require(!ec, "cannot rename '" + tmp + "': " + ec.message());
}

}  // namespace eaglerun
