#pragma once
// A sweep's points as text lines, JSON lines, and one HDF5 file (schema "eaglerun.simulation",
// version 1, docs/HDF5_SCHEMA.md): one row per point, written as FILE.partial and renamed, with the
// commit, the date and the command line as root attributes (the experiments' conventions).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "simulator/sweep.h"

namespace eaglerun::sim {

std::string sweep_point_line(const SweepPoint& p);
nlohmann::json sweep_point_json(const SweepPoint& p);
void write_sweep_file(const std::string& path, const std::vector<SweepPoint>& points, const std::string& command_line);

}  // namespace eaglerun::sim
