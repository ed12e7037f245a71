#pragma once
// A simulated point as a terminal table or as JSON (one object; fields in docs/SIMULATOR.md).
#include <nlohmann/json.hpp>

#include <string>

#include "simulator/simulation.h"

namespace eaglerun::sim {

std::string describe_deployment(const Deployment& d, const Scenario& s);
std::string format_table(const Deployment& d, const Scenario& s, const SimulationResult& r);
nlohmann::json to_json(const Deployment& d, const Scenario& s, const SimulationResult& r);

}  // namespace eaglerun::sim
