#include "simulator/runtime_profile.h"

#include "core/error.h"
#include "simulator/quantity.h"

namespace eaglerun::sim {

RuntimeProfile load_runtime_profile(const std::string& path) {
  const nlohmann::json j = read_json_file(path);
  StrictObject o(j, path);
  RuntimeProfile r;
  r.path = path;
  r.name = o.text("name");
  o.allow("notes");
  r.cuda_graphs = o.flag("cuda_graphs");
  r.draft_cuda_graphs = o.flag("draft_cuda_graphs");
  r.kernels_per_layer = o.count("kernels_per_layer");
  r.host_time_per_layer_s = o.quantity("host_time_per_layer", Dimension::Time);
  r.kernels_per_active_expert = o.count("kernels_per_active_expert");
  r.host_time_per_active_expert_s = o.quantity("host_time_per_active_expert", Dimension::Time);
  r.host_time_per_forward_s = o.quantity("host_time_per_forward", Dimension::Time);
  r.host_time_per_draft_pass_s = o.quantity("host_time_per_draft_pass", Dimension::Time);
  r.eagle_host_time_per_step_s = o.quantity("eagle_host_time_per_step", Dimension::Time);
  o.finish();
  return r;
}

}  // namespace eaglerun::sim
