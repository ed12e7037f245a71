#pragma once
// Numbers in profile files carry their unit and source: {"value": 1555, "unit": "GB/s", "source": "..."}.
// StrictObject reads one JSON object, converting each quantity to SI (bytes, seconds, bytes/s,
// FLOP/s), and refuses keys it was not asked for, so a typo is an error rather than a silent default.
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace eaglerun::sim {

enum class Dimension {
  Bytes,      // B, KB, MB, GB, KiB, MiB, GiB        -> bytes
  Bandwidth,  // B/s, MB/s, GB/s, TB/s, GiB/s         -> bytes per second
  Compute,    // FLOP/s, GFLOP/s, TFLOP/s, GMAC/s, TMAC/s (one multiply-add = 2 FLOP) -> FLOP per second
  Time,       // s, ms, us, ns                        -> seconds
  Fraction,   // "1" (a plain number) or "%"          -> a plain number
};

// The SI value of `value` given in `unit`; throws Error(where: unknown unit ...) with the accepted units.
double to_si(double value, const std::string& unit, Dimension dimension, const std::string& where);

// A whole JSON file; throws Error("PATH: invalid JSON: ...") or the file's read error.
nlohmann::json read_json_file(const std::string& path);

class StrictObject {
 public:
  // `where` names the object in errors: "data/hardware/a100.json: links.intra_node".
  StrictObject(const nlohmann::json& j, std::string where);

  bool has(const std::string& key) const;
  // {"value", "unit", "source"} -> SI; the source must be a non-empty string.
  double quantity(const std::string& key, Dimension dimension);
  // {"value": true/false, "source": "..."}
  bool flag(const std::string& key);
  std::string text(const std::string& key);
  int64_t count(const std::string& key);  // {"value": N, "unit": "1", "source": ...}
  StrictObject object(const std::string& key);
  // Marks a key as read without reading it (e.g. free-form notes).
  void allow(const std::string& key);
  const nlohmann::json& raw(const std::string& key);
  // Throws Error naming the first key nobody asked for.
  void finish() const;
  const std::string& where() const { return where_; }
  std::vector<std::string> keys() const;

 private:
  const nlohmann::json& at(const std::string& key);
  const nlohmann::json& json_;
  std::string where_;
  std::set<std::string> read_;
};

}  // namespace eaglerun::sim
