#pragma once
// Facts about the code and the machine that every recorded file carries (the date: utc_now(),
// experiments/feature_shard.h).
#include <string>

namespace eaglerun {

struct GitState {
  std::string commit = "unknown";  // HEAD of the source tree, "unknown" without git
  bool dirty = false;              // tracked files differ from HEAD
};

// The git state of the source tree at `dir` (git must be on PATH).
GitState git_state(const std::string& dir);
// "AMD EPYC ..." from /proc/cpuinfo's first "model name", or "unknown".
std::string cpu_model_name();
// The 1-minute load average from /proc/loadavg, or -1.
double load_average_1min();

}  // namespace eaglerun
