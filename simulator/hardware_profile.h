#pragma once
// One accelerator (GPU, or this machine's CPU) and how several of them are connected, read from a
// JSON profile under data/hardware/ (format: docs/SIMULATOR.md). Every number is SI.
#include <map>
#include <optional>
#include <string>

#include "simulator/curve.h"
#include "simulator/precision.h"

namespace eaglerun::sim {

struct Link {
  std::string name;            // "NVLink 3", "PCIe 4.0 x16", "InfiniBand HDR"
  double latency_s = 0;        // one message, end to end
  double bandwidth_Bps = 0;    // one direction, per GPU
};

struct HardwareProfile {
  std::string name;               // "NVIDIA A100-SXM4-40GB"
  std::string path;               // the file it was read from
  double memory_bytes = 0;        // device memory per GPU
  double reserved_bytes = 0;      // taken before the model loads (driver context, allocator)
  double memory_bandwidth_Bps = 0;  // peak (datasheet) or measured streaming read
  // Share of memory_bandwidth_Bps a decode forward reaches, by weight precision (the kernels differ).
  std::map<Precision, double> bandwidth_share;
  // Dense multiply-add rate of the matmul kernels for weights stored in each precision, FLOP/s.
  std::map<Precision, double> peak_flops;
  // Share of peak_flops a GEMM over n token rows reaches.
  TokenCurve gemm_efficiency;
  // Measured: time of the target's n-token forward / time of its 1-token forward. When present it
  // replaces the roofline's shape for the target's forward (this machine's profile has one).
  std::optional<TokenCurve> forward_time_ratio;
  double kernel_launch_s = 0;     // device-side cost of one kernel launch without CUDA graphs
  int64_t gpus_per_node = 1;
  Link intra_node, inter_node;
  std::string default_runtime;    // path of the runtime profile used when --runtime is not given

  double share_for(Precision p) const;  // throws Error when the profile lacks it
  double peak_for(Precision p) const;
};

// Reads and checks a profile; throws Error("PATH: ...") on an unknown key or unit, a missing
// source, a negative number or a missing field.
HardwareProfile load_hardware_profile(const std::string& path);

}  // namespace eaglerun::sim
