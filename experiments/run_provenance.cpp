#include "experiments/run_provenance.h"

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>

namespace eaglerun {
namespace {

// stdout of a shell command, trailing newline removed; empty when it fails.
std::string command_output(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::string out;
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe.get()) != nullptr) out += buf.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

GitState git_state(const std::string& dir) {
  GitState g;
  const std::string commit = command_output("git -C " + quoted(dir) + " rev-parse HEAD 2>/dev/null");
  if (commit.size() != 40) return g;
  g.commit = commit;
  g.dirty = !command_output("git -C " + quoted(dir) + " status --porcelain --untracked-files=no 2>/dev/null").empty();
  return g;
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

double load_average_1min() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  return in >> load ? load : -1;
}

}  // namespace eaglerun
