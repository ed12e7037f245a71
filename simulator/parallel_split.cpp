#include "simulator/parallel_split.h"

#include <string>

#include "core/error.h"

namespace eaglerun::sim {

namespace {

void require_divides(int64_t factor, int64_t total, const std::string& flag, const std::string& what,
                     const std::string& model) {
  if (total % factor != 0)
    throw Error(flag + " " + std::to_string(factor) + " does not divide the " + std::to_string(total) + " " + what +
                " of " + model);
}

}  // namespace

void check_split(const ParallelSplit& split, const ModelShape& model) {
  if (split.tp < 1 || split.pp < 1 || split.ep < 1) throw Error("--tp, --pp and --ep must be >= 1");
  const ModelConfig& c = model.config;
  require_divides(split.tp, c.n_heads, "--tp", "attention heads", model.name);
  require_divides(split.tp, c.n_kv_heads, "--tp", "key/value heads", model.name);
  require_divides(split.pp, c.n_layers, "--pp", "layers", model.name);
  if (split.ep > 1 && !model.is_moe()) throw Error("--ep " + std::to_string(split.ep) + ": " + model.name + " has no experts");
  if (model.is_moe()) require_divides(split.ep, model.experts, "--ep", "experts", model.name);
}

}  // namespace eaglerun::sim
