// Experiment configs: axes expand into every combination, cell names are file-safe, --cells
// selections are checked, and bad configs get one clear error.
#include "experiments/experiment_config.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace eaglerun {
namespace {

nlohmann::json base() {
  return {{"kind", "speedup"}, {"trees", {"eagle1", "chain:2"}}, {"eval_sets", {"mt_bench", "a/b/x.jsonl"}},
          {"temperatures", {0.0, 1.0}}, {"seeds", {1, 2, 3}}};
}

TEST(ExperimentConfig, AxesExpandIntoEveryCombination) {
  const ExperimentConfig c = experiment_config_from_json(base());
  const std::vector<ExperimentCell> cells = expand_cells(c);
  ASSERT_EQ(cells.size(), 2u * 2 * 2 * 3);
  EXPECT_EQ(cells[0].name(), "cell-0000-eagle1-mt_bench-T0-s1");
  EXPECT_EQ(cells.back().name(), "cell-0023-chain_2-x.jsonl-T1-s3");
  for (std::size_t i = 0; i < cells.size(); ++i) EXPECT_EQ(cells[i].index, static_cast<int>(i));
  const nlohmann::json j = cells[5].to_json(c);
  EXPECT_EQ(j["trees"], cells[5].tree);
  EXPECT_EQ(j["seeds"], cells[5].seed);
}

TEST(ExperimentConfig, ModelsAndDraftsAreAxesNamedOnlyWhenTheyVary) {
  nlohmann::json j = base();
  j["model"] = {"default", "runs/m/SmolLM2.Q8_0.gguf"};
  j["draft"] = {"runs/heads/feature_only/", "runs/heads/token_only"};
  const ExperimentConfig c = experiment_config_from_json(j);
  const std::vector<ExperimentCell> cells = expand_cells(c);
  ASSERT_EQ(cells.size(), 2u * 2 * 24);
  EXPECT_EQ(cells[0].name(), "cell-0000-default-feature_only-eagle1-mt_bench-T0-s1");
  EXPECT_EQ(cells[24].name(), "cell-0024-default-token_only-eagle1-mt_bench-T0-s1");
  EXPECT_EQ(cells.back().name(), "cell-0095-SmolLM2.Q8_0-token_only-chain_2-x.jsonl-T1-s3");
  const nlohmann::json cell = cells.back().to_json(c);
  EXPECT_EQ(cell["model"], "runs/m/SmolLM2.Q8_0.gguf");
  EXPECT_EQ(cell["draft"], "runs/heads/token_only");
  j["model"] = "default";  // one value: the names stay as before
  EXPECT_EQ(expand_cells(experiment_config_from_json(j))[0].name(), "cell-0000-feature_only-eagle1-mt_bench-T0-s1");
}

TEST(ExperimentConfig, ScalarsAreOneValueAxesAndDefaultsApply) {
  nlohmann::json j = base();
  j["trees"] = "eagle1";
  j.erase("temperatures");
  j.erase("seeds");
  const ExperimentConfig c = experiment_config_from_json(j);
  EXPECT_EQ(expand_cells(c).size(), 2u);
  EXPECT_EQ(c.temperatures, std::vector<double>{0.0});
}

TEST(ExperimentConfig, BadConfigsAreRefused) {
  auto refused = [](nlohmann::json j, const std::string& what) {
    try {
      experiment_config_from_json(j);
      ADD_FAILURE() << "accepted: " << j.dump();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  nlohmann::json j = base();
  j["temprature"] = 1;
  refused(j, "unknown setting 'temprature'");
  j = base();
  j["kind"] = "nalpha";
  refused(j, "unknown kind");
  j = base();
  j["trees"] = nlohmann::json::array();
  refused(j, "'trees' is an empty list");
  j = base();
  j["max_new_tokens"] = "many";
  refused(j, "wrong type");
  j = base();
  j["temperatures"] = {-1.0};
  refused(j, "temperatures must be >= 0");
  j = base();
  j.erase("eval_sets");
  refused(j, "'eval_sets' is required");
}

TEST(ExperimentConfig, CellSelections) {
  EXPECT_EQ(parse_cell_selection("", 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(parse_cell_selection("0,2-4,3", 6), (std::vector<int>{0, 2, 3, 4}));
  EXPECT_THROW(parse_cell_selection("5", 5), Error);
  EXPECT_THROW(parse_cell_selection("2-1", 5), Error);
  EXPECT_THROW(parse_cell_selection("x", 5), Error);
  EXPECT_THROW(parse_cell_selection("1-", 5), Error);
}

}  // namespace
}  // namespace eaglerun
