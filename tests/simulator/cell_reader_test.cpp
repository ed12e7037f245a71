// Acceptance and speeds read back from committed experiment cells (docs/results/cells/).
#include <gtest/gtest.h>

#include "simulator/cell_reader.h"
#include "tests/simulator/simulator_test_support.h"

namespace eaglerun::sim {
namespace {

using testing::repo_file;

const char* kChainCell = "docs/results/cells/n-alpha-smollm2/cell-0000-chain_5-mt_bench-T0-s0.h5";
const char* kTreeCell = "docs/results/cells/speedup-smollm2/cell-0008-eagle1-mt_bench-T0-s0.h5";

TEST(SimulatorCellReader, ChainAcceptanceIsTheCellsNAlpha) {
  const AcceptanceModel a = acceptance_from_cell(repo_file(kChainCell));
  ASSERT_EQ(a.max_depth(), 5);
  EXPECT_NEAR(a.at(0, 0), 0.46713664, 1e-6);  // summary/n_alpha[0] of the cell
  EXPECT_NEAR(a.at(1, 0), 0.38881491, 1e-6);
  EXPECT_THROW(a.at(0, 1), Error);  // a chain has no second sibling
}

TEST(SimulatorCellReader, PositionalTauReproducesTheTreeCellsTau) {
  const AcceptanceModel a = acceptance_from_cell(repo_file(kTreeCell));
  const CellMeasurement m = read_cell_measurement(repo_file(kTreeCell));
  EXPECT_EQ(m.tree, "eagle1");
  EXPECT_EQ(a.head_hidden_size, 576);  // data/heads/smollm2-135m-instruct
  EXPECT_THROW(check_acceptance_matches(a, 4096, "llama2-7b-chat"), Error);
  EXPECT_NEAR(m.mean_tree_nodes, 26.0, 1e-9);
  EXPECT_GT(m.mean_context, 150.0);  // MT-bench prompts (~200 tokens) and answers of up to 256
  EXPECT_LT(m.mean_context, 460.0);
  // the positional model is exact in expectation when acceptance depends on depth and rank only
  EXPECT_NEAR(a.tau(tree_shape(parse_tree_spec("eagle1"))), m.tau, 0.02);
  EXPECT_GT(m.plain_decode_tokens_per_s, 0.0);
  EXPECT_NEAR(m.decode_speedup, m.eagle_decode_tokens_per_s / m.plain_decode_tokens_per_s, 1e-12);
}

TEST(SimulatorCellReader, OtherFilesAreRefused) {
  EXPECT_THROW(acceptance_from_cell(repo_file("data/model-configs/llama2-7b-chat.json")), Error);
  EXPECT_THROW(read_cell_measurement(repo_file("docs/results/cells/missing.h5")), Error);
}

}  // namespace
}  // namespace eaglerun::sim
