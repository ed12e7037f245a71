#pragma once
// Collective and point-to-point times over one kind of link (latency + bytes / bandwidth per message).
#include <cstdint>

#include "simulator/hardware_profile.h"

namespace eaglerun::sim {

// Ring all-reduce of `bytes` over `ranks`: 2 (r - 1) steps of bytes / r each.
//   t = 2 (r - 1) latency + 2 (r - 1) / r x bytes / bandwidth   (0 for one rank)
double all_reduce_s(double bytes, int64_t ranks, const Link& link);
// One message of `bytes` from one rank to the next.
double point_to_point_s(double bytes, const Link& link);
// All-to-all where every rank sends `bytes_per_rank` spread evenly over the `ranks`:
//   t = latency + (r - 1) / r x bytes_per_rank / bandwidth   (0 for one rank)
double all_to_all_s(double bytes_per_rank, int64_t ranks, const Link& link);

}  // namespace eaglerun::sim
