// Each cost term against a hand calculation (numbers in the comments).
#include <gtest/gtest.h>

#include <cmath>

#include "simulator/communication.h"
#include "simulator/forward_cost.h"
#include "simulator/layer_costs.h"
#include "simulator/precision.h"
#include "simulator/quantity.h"
#include "tests/simulator/simulator_test_support.h"

namespace eaglerun::sim {
namespace {

using testing::round_deployment;
using testing::round_profile;

// LLaMA-2 7B: attention 4 x 4096^2 = 67,108,864 and MLP 3 x 4096 x 11008 = 135,266,304 per layer;
// 32 layers = 6,476,005,376; LM head 32000 x 4096 = 131,072,000.
constexpr double kLlama7bLayerParams = 6476005376.0;
constexpr double kLlama7bLmHead = 131072000.0;

TEST(SimulatorPrecision, BytesIncludeBlockScales) {
  EXPECT_DOUBLE_EQ(bytes_per_element(Precision::FP16), 2.0);
  EXPECT_DOUBLE_EQ(bytes_per_element(Precision::INT8), 34.0 / 32.0);  // Q8_0: 32 bytes + fp16 scale per 32
  EXPECT_DOUBLE_EQ(bytes_per_element(Precision::INT4), 20.0 / 32.0);  // Q4_1: 16 bytes + fp16 scale, min per 32
  EXPECT_THROW(parse_precision("fp8", "--weights"), Error);
}

TEST(SimulatorUnits, ConvertToSi) {
  EXPECT_DOUBLE_EQ(to_si(1555, "GB/s", Dimension::Bandwidth, "x"), 1.555e12);
  EXPECT_DOUBLE_EQ(to_si(818, "GMAC/s", Dimension::Compute, "x"), 1.636e12);  // a multiply-add is 2 FLOP
  EXPECT_DOUBLE_EQ(to_si(24, "GiB", Dimension::Bytes, "x"), 24.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(to_si(4, "us", Dimension::Time, "x"), 4e-6);
  EXPECT_DOUBLE_EQ(to_si(200, "Gb/s", Dimension::Bandwidth, "x"), 25e9);
  EXPECT_THROW(to_si(1, "GB/h", Dimension::Bandwidth, "x"), Error);
}

TEST(SimulatorCommunication, RingAllReduce) {
  const Link link{"l", 10e-6, 100e9};
  // 2 (4 - 1) x 10 us + 2 (4 - 1) / 4 x 1 MB / 100 GB/s = 60 us + 15 us
  EXPECT_NEAR(all_reduce_s(1e6, 4, link), 75e-6, 1e-12);
  EXPECT_EQ(all_reduce_s(1e6, 1, link), 0.0);
  // 10 us + 1 MB / 100 GB/s = 20 us
  EXPECT_NEAR(point_to_point_s(1e6, link), 20e-6, 1e-12);
  // 10 us + (2 - 1) / 2 x 1 MB / 100 GB/s = 15 us
  EXPECT_NEAR(all_to_all_s(1e6, 2, link), 15e-6, 1e-12);
}

TEST(SimulatorLayerCosts, DenseGemmIsARoofline) {
  const HardwareProfile hw = round_profile();
  // memory: 1e9 fp16 weights = 2 GB at 1 TB/s x 0.5 = 4 ms; compute at 1 row: 2 GFLOP at 50 TFLOP/s = 0.04 ms
  EXPECT_NEAR(dense_gemm_s(1e9, Precision::FP16, 1, hw), 4e-3, 1e-12);
  // 1000 rows: 2 TFLOP at 50 TFLOP/s = 40 ms > 4 ms
  EXPECT_NEAR(dense_gemm_s(1e9, Precision::FP16, 1000, hw), 40e-3, 1e-12);
}

TEST(SimulatorLayerCosts, ActiveExperts) {
  EXPECT_NEAR(expected_active_experts(1, 8, 2), 2.0, 1e-12);                          // one token: its k experts
  EXPECT_NEAR(expected_active_experts(26, 8, 2), 8.0 * (1 - std::pow(0.75, 26)), 1e-12);  // a tree: nearly all 8
  const HardwareProfile hw = round_profile();
  // 1 token, 8 experts of 1e8 params, tp 1, ep 2: 2 active / 2 GPUs = 1 expert here, 2e8 B at 0.5 TB/s = 0.4 ms
  EXPECT_NEAR(moe_layer_s(1, 8, 2, 1e8, 1, 2, Precision::FP16, hw), 0.4e-3, 1e-12);
}

TEST(SimulatorLayerCosts, AttentionReadsTheKvCache) {
  const HardwareProfile hw = round_profile();
  // batch 2, 1 new row, 999 cached: 2 x 1000 tokens x 8192 elements x 2 B / tp 2 = 16.384 MB at 0.5 TB/s
  EXPECT_NEAR(attention_layer_s(2, 1, 999, 8192, 4096, 2, Precision::FP16, Precision::FP16, hw), 16.384e6 / 0.5e12, 1e-12);
}

TEST(SimulatorForward, Llama7bPlainStepIsItsWeightsOverTheBandwidth) {
  Deployment d = round_deployment("llama2-7b-chat.json");
  const ForwardTimes t = target_forward(d, 1, 1, 0);
  EXPECT_NEAR(t.gemm_s, (kLlama7bLayerParams + kLlama7bLmHead) * 2 / 0.5e12, 1e-9);
  EXPECT_EQ(t.communication_s, 0.0);
  // tp 2: each GPU reads half; two all-reduces of 4096 x 2 B per layer: 2 x 32 x (2 x 10 us + 8192 / 100 GB/s)
  d.split.tp = 2;
  const ForwardTimes tp2 = target_forward(d, 1, 1, 0);
  EXPECT_NEAR(tp2.gemm_s, t.gemm_s / 2, 1e-9);
  EXPECT_NEAR(tp2.communication_s, 64 * (20e-6 + 8192.0 / 100e9), 1e-12);
}

TEST(SimulatorForward, PipelineWithoutOverlapVisitsTheStagesInTurn) {
  Deployment d = round_deployment("llama2-7b-chat.json");
  const ForwardTimes one = target_forward(d, 1, 1, 0);
  d.split.pp = 4;
  const ForwardTimes four = target_forward(d, 1, 1, 0);
  EXPECT_NEAR(four.gemm_s, one.gemm_s, 1e-9);  // the same bytes, read one stage after another
  EXPECT_NEAR(four.communication_s, 3 * (10e-6 + 4096 * 2 / 100e9), 1e-12);  // 3 hops of one token's feature
  // with overlap, 4 sequences in 4 micro-batches keep the 4 stages busy: each stage reads its quarter
  // of the weights once per micro-batch, so a step reads the weights 4 x 1/4 = once per stage slot
  d.split.pp_overlap = true;
  const ForwardTimes overlap = target_forward(d, 4, 1, 0);
  EXPECT_NEAR(overlap.gemm_s, one.gemm_s, 1e-9);
  // 2 sequences in 2 micro-batches leave half the stage slots idle: max(2, 4) slots of a quarter
  const ForwardTimes two = target_forward(d, 2, 1, 0);
  EXPECT_NEAR(two.gemm_s, one.gemm_s, 1e-9);
}

TEST(SimulatorForward, EagerHostStallsTheDevice) {
  Deployment d = round_deployment("llama2-7b-chat.json");
  d.runtime.cuda_graphs = false;
  d.runtime.kernels_per_layer = 10;
  d.hw.kernel_launch_s = 5e-6;
  d.runtime.host_time_per_layer_s = 1e-3;
  d.runtime.host_time_per_forward_s = 0.5e-3;
  const ForwardTimes t = target_forward(d, 1, 1, 0);
  EXPECT_NEAR(t.launch_s, 32 * 10 * 5e-6, 1e-12);
  // host issue 32 ms > device: wall = 32 ms + 0.5 ms
  EXPECT_NEAR(t.total_s(), 32e-3 + 0.5e-3, 1e-9);
}

TEST(SimulatorForward, EagerMoeIssuesEveryVisitedExpert) {
  Deployment d = round_deployment("mixtral-8x7b-instruct-v0.1.json");
  d.runtime.cuda_graphs = false;
  d.runtime.host_time_per_layer_s = 1e-3;
  d.runtime.host_time_per_active_expert_s = 0.5e-3;
  d.hw.memory_bandwidth_Bps = 1e16;  // a device far faster than the host: the host issue is the wall time
  // one token visits its 2 experts: 32 layers x (1 + 2 x 0.5) ms = 64 ms of host issue, above the device time
  EXPECT_NEAR(target_forward(d, 1, 1, 0).total_s(), 64e-3, 1e-9);
  // a 26-token tree visits 8 (1 - 0.75^26) experts
  EXPECT_NEAR(target_forward(d, 1, 26, 0).total_s(), 32 * (1e-3 + 8 * (1 - std::pow(0.75, 26)) * 0.5e-3), 1e-9);
}

}  // namespace
}  // namespace eaglerun::sim
