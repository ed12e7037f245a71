#include "simulator/communication.h"

namespace eaglerun::sim {

double all_reduce_s(double bytes, int64_t ranks, const Link& link) {
  if (ranks <= 1) return 0.0;
  const double r = static_cast<double>(ranks);
  return 2.0 * (r - 1.0) * link.latency_s + 2.0 * (r - 1.0) / r * bytes / link.bandwidth_Bps;
}

double point_to_point_s(double bytes, const Link& link) { return link.latency_s + bytes / link.bandwidth_Bps; }

double all_to_all_s(double bytes_per_rank, int64_t ranks, const Link& link) {
  if (ranks <= 1) return 0.0;
  const double r = static_cast<double>(ranks);
  return link.latency_s + (r - 1.0) / r * bytes_per_rank / link.bandwidth_Bps;
}

}  // namespace eaglerun::sim
