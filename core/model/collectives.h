#pragma once
// The one collective the forward pass needs when a rank holds only part of a layer: summing the
// partial outputs of a row-parallel matmul (o_proj, down_proj) or of the experts this rank holds.
// core/ declares it; parallel/'s Communicator implements it. A whole model on one rank has none.
#include <cstdint>

namespace eaglerun {

class ModelCollectives {
 public:
  virtual ~ModelCollectives() = default;
  // data[count] <- the element-wise sum of data[count] over the group; every rank gets the same bits.
  virtual void all_reduce_sum(float* data, int64_t count) = 0;
};

}  // namespace eaglerun
