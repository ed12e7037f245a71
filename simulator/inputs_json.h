#pragma once
// SimulationInputs from a JSON object (the validation and calibration files): keys model,
// hardware, runtime, head_config (paths relative to the file's folder), tp, pp, ep, pp_overlap,
// weights, lm_head, kv, head, draft_vocab, tree, tau | n_alpha | alpha | acceptance, batch, context.
// Unknown keys are errors.
#include <string>

#include <nlohmann/json.hpp>

#include "simulator/inputs.h"
#include "simulator/quantity.h"

namespace eaglerun::sim {

// Reads the keys above from `o` (others are left for the caller); `defaults` fills what is absent.
SimulationInputs read_inputs(StrictObject& o, const std::string& base_dir, const SimulationInputs& defaults);

// A file of runs sharing inputs (data/simulator/validation.json, calibration.json):
//   {"notes": "...", "defaults": {<the keys above>}, "<list_key>": [{...}, ...]}
struct InputsFile {
  std::string base_dir;       // the file's folder: paths in it are relative to this
  SimulationInputs defaults;
  nlohmann::json entries;     // the list, each entry read by the caller
};
// Throws Error for an unreadable file, an unknown key, or a list that is not a JSON array.
InputsFile read_inputs_file(const std::string& path, const std::string& list_key);

}  // namespace eaglerun::sim
