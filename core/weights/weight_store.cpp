#include "core/weights/weight_store.h"

#include "core/error.h"

namespace eaglerun {
namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

const TensorView& WeightStore::get(const std::string& name) const {
  const TensorView* t = find(name);
  if (!t) throw Error("missing tensor " + name + " in " + source());
  return *t;
}

const TensorView& WeightStore::get(const std::string& name, const std::vector<int64_t>& expected_shape) const {
  const TensorView& t = get(name);
  if (t.shape != expected_shape) {
    throw Error(source() + ": tensor " + name + " has shape " + t.shape_string() + ", expected " + shape_string(expected_shape));
  }
  return t;
}

}  // namespace eaglerun
