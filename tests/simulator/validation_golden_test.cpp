// The validation predictions stay in their pinned bands, with the paper's directions and orderings;
// the calibration on this machine's cells keeps its error.
#include <gtest/gtest.h>

#include <map>

#include "simulator/calibration.h"
#include "simulator/validation.h"
#include "tests/simulator/simulator_test_support.h"

namespace eaglerun::sim {
namespace {

using testing::repo_file;

std::map<std::string, double> predictions() {
  std::map<std::string, double> out;
  for (const ValidationRow& r : run_validation(repo_file("data/simulator/validation.json"))) {
    EXPECT_TRUE(r.in_golden_band()) << r.id << ": predicted " << r.predicted << ", pinned to [" << r.golden_low << ", "
                                    << r.golden_high << "]";
    out[r.id] = r.predicted;
  }
  return out;
}

TEST(SimulatorValidation, PredictionsStayInTheirBands) { EXPECT_EQ(predictions().size(), 21u); }

TEST(SimulatorValidation, DirectionsAndOrderingsOfThePaper) {
  const auto p = predictions();
  // EAGLE is faster than plain decoding everywhere at batch 1
  EXPECT_GT(p.at("table4-fp16-eagle"), p.at("table4-fp16-plain"));
  EXPECT_GT(p.at("table4-int4-eagle"), p.at("table4-int4-plain"));
  // the compiled runtime is faster than eager Hugging Face on the same GPU (Table 4: 55.1 vs 24.5)
  EXPECT_GT(p.at("table4-fp16-plain"), p.at("table4-hf-plain"));
  // int4 is faster than fp16, and EAGLE gains less on it (Table 4: 1.82x vs 1.50x)
  EXPECT_GT(p.at("table4-int4-plain"), p.at("table4-fp16-plain"));
  EXPECT_GT(p.at("table4-fp16-eagle") / p.at("table4-fp16-plain"), p.at("table4-int4-eagle") / p.at("table4-int4-plain"));
  // Mixtral gains least (Table 3)
  EXPECT_LT(p.at("mixtral-speedup"), p.at("vicuna7b-speedup"));
  EXPECT_LT(p.at("mixtral-speedup"), p.at("lc70b-4xa100-speedup"));
  // EAGLE's head and tree cost memory: a smaller largest batch (Table 7)
  EXPECT_LT(p.at("vicuna7b-max-batch-eagle"), p.at("vicuna7b-max-batch-plain"));
  EXPECT_LT(p.at("lc70b-max-batch-eagle"), p.at("lc70b-max-batch-plain"));
  // larger batches do not raise the speedup (Table 7)
  EXPECT_LE(p.at("lc70b-batch4"), p.at("lc70b-4xa100-speedup") + 1e-9);
  EXPECT_LE(p.at("vicuna7b-batch4"), p.at("vicuna7b-speedup") + 1e-9);
}

TEST(SimulatorCalibration, ThisMachinesCellsStayWithinTheirError) {
  const CalibrationSummary s = run_calibration(repo_file("data/simulator/calibration.json"));
  EXPECT_EQ(s.rows.size(), 12u);
  EXPECT_LT(s.speedup_mae, 0.05);   // 3.5% when pinned (docs/SIMULATOR.md)
  EXPECT_LT(s.overall_mae, 0.105);  // 9.4%
  for (const CalibrationRow& r : s.rows) EXPECT_EQ(r.predicted_speedup > 1.0, r.cell.decode_speedup > 1.0) << r.cell.path;
}

}  // namespace
}  // namespace eaglerun::sim
