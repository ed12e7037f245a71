#include "experiments/feature_shard.h"

#include "core/eagle/draft_head.h"

#include <ctime>

namespace eaglerun {

namespace {

std::string text(const char* name, const std::string& a, const std::string& b) {
  return a == b ? std::string() : std::string(name) + ": '" + a + "' vs '" + b + "'";
}

std::string number(const char* name, int64_t a, int64_t b) {
  return a == b ? std::string() : std::string(name) + ": " + std::to_string(a) + " vs " + std::to_string(b);
}

}  // namespace

std::string ShardMetadata::target_difference(const ShardMetadata& o) const {
  for (const std::string& d : {text("target_model_sha256", target_model_sha256, o.target_model_sha256),
                               number("target_model_bytes", target_model_bytes, o.target_model_bytes),
                               number("hidden_size", hidden_size, o.hidden_size),
                               text("tap_layers", join_layers(tap_layers), join_layers(o.tap_layers))}) {
    if (!d.empty()) return d;
  }
  return {};
}

std::string ShardMetadata::difference(const ShardMetadata& o) const {
  if (std::string d = target_difference(o); !d.empty()) return d;
  for (const std::string& d : {text("source", source, o.source),
                               text("chat_format", chat_format, o.chat_format), number("max_len", max_len, o.max_len),
                               text("data_sha256", data_sha256, o.data_sha256),
                               text("settings", settings, o.settings)}) {
    if (!d.empty()) return d;
  }
  return {};
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace eaglerun
