#include "simulator/hardware_profile.h"

#include <filesystem>

#include "core/error.h"
#include "simulator/quantity.h"

namespace eaglerun::sim {

namespace {

std::map<Precision, double> per_precision(StrictObject o, Dimension d) {
  std::map<Precision, double> out;
  for (const std::string& key : o.keys()) out[parse_precision(key, o.where())] = o.quantity(key, d);
  o.finish();
  return out;
}

std::vector<double> numbers(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array()) throw Error(where + ": expected a list of numbers");
  std::vector<double> out;
  for (const auto& v : j) {
    if (!v.is_number()) throw Error(where + ": expected a list of numbers");
    out.push_back(v.get<double>());
  }
  return out;
}

// {"tokens": [...], "<values_key>": [...], "source": "..."}
TokenCurve read_curve(StrictObject o, const std::string& values_key, TokenCurve::Beyond beyond) {
  TokenCurve c;
  c.tokens = numbers(o.raw("tokens"), o.where() + ": tokens");
  c.values = numbers(o.raw(values_key), o.where() + ": " + values_key);
  c.beyond = beyond;
  o.text("source");
  o.finish();
  c.check(o.where());
  return c;
}

Link read_link(StrictObject o) {
  Link l;
  l.name = o.text("name");
  l.latency_s = o.quantity("latency", Dimension::Time);
  l.bandwidth_Bps = o.quantity("bandwidth", Dimension::Bandwidth);
  o.finish();
  if (l.bandwidth_Bps <= 0) throw Error(o.where() + ": bandwidth must be positive");
  return l;
}

}  // namespace

double HardwareProfile::share_for(Precision p) const {
  const auto it = bandwidth_share.find(p);
  if (it == bandwidth_share.end())
    throw Error(path + ": no bandwidth_share for " + precision_name(p) + " weights");
  return it->second;
}

double HardwareProfile::peak_for(Precision p) const {
  const auto it = peak_flops.find(p);
  if (it == peak_flops.end()) throw Error(path + ": no peak_flops for " + precision_name(p) + " weights");
  return it->second;
}

HardwareProfile load_hardware_profile(const std::string& path) {
  const nlohmann::json j = read_json_file(path);
  StrictObject o(j, path);
  HardwareProfile h;
  h.path = path;
  h.name = o.text("name");
  o.allow("notes");
  h.memory_bytes = o.quantity("memory", Dimension::Bytes);
  h.reserved_bytes = o.quantity("reserved_memory", Dimension::Bytes);
  h.memory_bandwidth_Bps = o.quantity("memory_bandwidth", Dimension::Bandwidth);
  h.bandwidth_share = per_precision(o.object("bandwidth_share"), Dimension::Fraction);
  h.peak_flops = per_precision(o.object("peak"), Dimension::Compute);
  h.gemm_efficiency = read_curve(o.object("gemm_efficiency"), "share", TokenCurve::Beyond::Flat);
  if (o.has("forward_time_ratio"))
    h.forward_time_ratio = read_curve(o.object("forward_time_ratio"), "ratio", TokenCurve::Beyond::Linear);
  h.kernel_launch_s = o.quantity("kernel_launch", Dimension::Time);
  h.gpus_per_node = o.count("gpus_per_node");
  StrictObject links = o.object("links");
  h.intra_node = read_link(links.object("intra_node"));
  h.inter_node = read_link(links.object("inter_node"));
  links.finish();
  const std::string runtime = o.text("default_runtime");
  h.default_runtime = (std::filesystem::path(path).parent_path() / runtime).lexically_normal().string();
  o.finish();
  if (h.memory_bandwidth_Bps <= 0) throw Error(path + ": memory_bandwidth must be positive");
  for (const auto& [p, share] : h.bandwidth_share)
    if (share <= 0 || share > 1) throw Error(path + ": bandwidth_share." + precision_name(p) + " must be in (0, 1]");
  if (h.reserved_bytes >= h.memory_bytes) throw Error(path + ": reserved_memory must be below memory");
  return h;
}

}  // namespace eaglerun::sim
