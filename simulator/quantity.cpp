#include "simulator/quantity.h"

#include <map>

#include "core/error.h"
#include "core/weights/text_file.h"

namespace eaglerun::sim {

namespace {

const std::map<std::string, double>& units(Dimension d) {
  static const std::map<std::string, double> bytes = {
      {"B", 1.0}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
      {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
  static const std::map<std::string, double> bandwidth = {
      {"B/s", 1.0}, {"MB/s", 1e6}, {"GB/s", 1e9}, {"TB/s", 1e12}, {"GiB/s", 1073741824.0},
      {"Gb/s", 1e9 / 8.0}};
  static const std::map<std::string, double> compute = {
      {"FLOP/s", 1.0}, {"GFLOP/s", 1e9}, {"TFLOP/s", 1e12}, {"GMAC/s", 2e9}, {"TMAC/s", 2e12},
      {"TOP/s", 1e12}};
  static const std::map<std::string, double> time = {{"s", 1.0}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}};
  static const std::map<std::string, double> fraction = {{"1", 1.0}, {"%", 0.01}};
  switch (d) {
    case Dimension::Bytes: return bytes;
    case Dimension::Bandwidth: return bandwidth;
    case Dimension::Compute: return compute;
    case Dimension::Time: return time;
    case Dimension::Fraction: return fraction;
  }
  return fraction;
}

std::string unit_list(const std::map<std::string, double>& table) {
  std::string out;
  for (const auto& [name, scale] : table) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

double to_si(double value, const std::string& unit, Dimension dimension, const std::string& where) {
  const auto& table = units(dimension);
  const auto it = table.find(unit);
  if (it == table.end()) throw Error(where + ": unknown unit '" + unit + "' (expected " + unit_list(table) + ")");
  return value * it->second;
}

nlohmann::json read_json_file(const std::string& path) {
  try {
    return nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": invalid JSON: " + e.what());
  }
}

StrictObject::StrictObject(const nlohmann::json& j, std::string where) : json_(j), where_(std::move(where)) {
  if (!j.is_object()) throw Error(where_ + ": expected a JSON object");
}

bool StrictObject::has(const std::string& key) const { return json_.contains(key); }

const nlohmann::json& StrictObject::at(const std::string& key) {
  if (!json_.contains(key)) throw Error(where_ + ": missing key '" + key + "'");
  read_.insert(key);
  return json_.at(key);
}

const nlohmann::json& StrictObject::raw(const std::string& key) { return at(key); }

void StrictObject::allow(const std::string& key) { read_.insert(key); }

double StrictObject::quantity(const std::string& key, Dimension dimension) {
  StrictObject q(at(key), where_ + ": " + key);
  const nlohmann::json& value = q.at("value");
  if (!value.is_number()) throw Error(q.where() + ": 'value' must be a number");
  const std::string unit = q.text("unit");
  q.text("source");
  q.finish();
  const double si = to_si(value.get<double>(), unit, dimension, q.where());
  if (!(si >= 0.0)) throw Error(q.where() + ": the value must not be negative");
  return si;
}

bool StrictObject::flag(const std::string& key) {
  StrictObject q(at(key), where_ + ": " + key);
  const nlohmann::json& value = q.at("value");
  if (!value.is_boolean()) throw Error(q.where() + ": 'value' must be true or false");
  q.text("source");
  q.finish();
  return value.get<bool>();
}

std::string StrictObject::text(const std::string& key) {
  const nlohmann::json& value = at(key);
  if (!value.is_string() || value.get<std::string>().empty())
    throw Error(where_ + ": '" + key + "' must be a non-empty string");
  return value.get<std::string>();
}

int64_t StrictObject::count(const std::string& key) {
  const double v = quantity(key, Dimension::Fraction);
  if (v < 1.0 || v != static_cast<double>(static_cast<int64_t>(v)))
    throw Error(where_ + ": " + key + " must be a whole number >= 1");
  return static_cast<int64_t>(v);
}

StrictObject StrictObject::object(const std::string& key) { return StrictObject(at(key), where_ + ": " + key); }

void StrictObject::finish() const {
  for (const auto& [key, value] : json_.items()) {
    if (!read_.count(key)) throw Error(where_ + ": unknown key '" + key + "'");
  }
}

std::vector<std::string> StrictObject::keys() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : json_.items()) out.push_back(key);
  return out;
}

}  // namespace eaglerun::sim
