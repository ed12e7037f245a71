#include "simulator/runtime_profile.h"

#include "core/error.h"
#include "core/weights/text_file.h"
#include "simulator/quantity.h"

namespace eaglerun::sim {

RuntimeProfile load_runtime_profile(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": invalid JSON: " + e.what());
  }
  StrictObject o(j, path);
  RuntimeProfile r;
  r.path = path;
  r.name = o.text("name");
  o.allow("notes");
  r.cuda_graphs = o.flag("cuda_graphs");
  r.draft_cuda_graphs = o.flag("draft_cuda_graphs");
  r.kernels_per_layer = o.count("kernels_per_layer");
  r.host_time_per_layer_s = o.quantity("host_time_per_layer", Dimension::Time);
  r.host_time_per_forward_s = o.quantity("host_time_per_forward", Dimension::Time);
  r.host_time_per_draft_pass_s = o.quantity("host_time_per_draft_pass", Dimension::Time);
  r.eagle_host_time_per_step_s = o.quantity("eagle_host_time_per_step", Dimension::Time);
  o.finish();
  return r;
}

}  // namespace eaglerun::sim
