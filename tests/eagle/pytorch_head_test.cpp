// A head in the released format (config.json + pytorch_model.bin written by torch.save,
// data/fixtures/pytorch/head) loads through DraftHead::load and drafts exactly what the same
// weights in model.safetensors draft, on the tiny Llama fixture target.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <unistd.h>

#include "core/eagle/draft_head.h"
#include "core/error.h"
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/speculative.h"
#include "core/weights/open_model.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

namespace fs = std::filesystem;

// The same head as a safetensors folder: config.json + the fixture's expected.safetensors.
std::string safetensors_copy() {
  const fs::path dir = fs::temp_directory_path() / ("eaglerun-pt-head-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(test::fixture("pytorch/head/config.json"), dir / "config.json", fs::copy_options::overwrite_existing);
  fs::copy_file(test::fixture("pytorch/head/expected.safetensors"), dir / "model.safetensors",
                fs::copy_options::overwrite_existing);
  return dir.string();
}

// Every verified tree's tokens, step by step.
std::vector<std::vector<int32_t>> drafts(const Model& target, const DraftHead& head, const std::string& tree) {
  EagleDrafter drafter(target, head, 256);
  std::vector<std::vector<int32_t>> trees;
  SpeculativeOptions options;
  options.on_step = [&](const StepRecord& step) { trees.push_back(step.tree.tokens); };
  Sampler s(SamplingParams{});
  std::vector<int32_t> prompt;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 9; ++i) prompt.push_back(static_cast<int32_t>(rng() % 256));
  generate_speculative(target, drafter, parse_tree_spec(tree), s, {prompt, 32, {}, {}}, options);
  return trees;
}

TEST(PytorchHead, LoadsAndDraftsAsTheSameWeightsInSafetensors) {
  const std::string st_dir = safetensors_copy();
  const DraftHead from_pt = DraftHead::load(test::fixture("pytorch/head"));
  const DraftHead from_st = DraftHead::load(st_dir);
  fs::remove_all(st_dir);
  ASSERT_EQ(from_pt.parameters().size(), from_st.parameters().size());
  for (const auto& [name, p] : from_st.parameters()) {
    EXPECT_EQ(from_pt.parameters().at(name).values, p.values) << name;
  }
  EXPECT_TRUE(from_pt.config().bias);

  ThreadPool pool(2);
  const Model target(std::shared_ptr<const WeightStore>(open_model(test::fixture("tiny_llama"))), pool, Precision::Fast);
  for (const char* tree : {"eagle1", "chain:3"}) {
    const auto a = drafts(target, from_pt, tree), b = drafts(target, from_st, tree);
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, b) << tree;
  }
}

TEST(PytorchHead, AFolderWithoutWeightsSaysWhatIsMissing) {
  const fs::path dir = fs::temp_directory_path() / ("eaglerun-pt-empty-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(test::fixture("pytorch/head/config.json"), dir / "config.json", fs::copy_options::overwrite_existing);
  try {
    DraftHead::load(dir.string());
    ADD_FAILURE() << "loaded a head without weights";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("neither model.safetensors nor pytorch_model.bin"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace eaglerun
