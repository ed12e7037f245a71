#pragma once
// SimulationInputs from a JSON object (the validation and calibration files): keys model,
// hardware, runtime, head_config (paths relative to the file's folder), tp, pp, ep, pp_overlap,
// weights, lm_head, kv, head, draft_vocab, tree, tau | n_alpha | alpha | acceptance, batch, context.
// Unknown keys are errors.
#include <string>

#include "simulator/inputs.h"
#include "simulator/quantity.h"

namespace eaglerun::sim {

// Reads the keys above from `o` (others are left for the caller); `defaults` fills what is absent.
SimulationInputs read_inputs(StrictObject& o, const std::string& base_dir, const SimulationInputs& defaults);

}  // namespace eaglerun::sim
