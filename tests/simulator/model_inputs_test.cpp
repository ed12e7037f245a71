// Memory, splits, acceptance, tree shapes and the profile files' checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <fstream>

#include "simulator/acceptance.h"
#include "simulator/forward_cost.h"
#include "simulator/hardware_profile.h"
#include "simulator/memory_model.h"
#include "simulator/simulation.h"
#include "simulator/tree_shape.h"
#include "tests/simulator/simulator_test_support.h"

namespace eaglerun::sim {
namespace {

using testing::repo_file;
using testing::round_deployment;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SimulatorMemory, WeightsAndKvOfVicuna7b) {
  Deployment d = round_deployment("vicuna-7b-v1.3.json");
  const MemoryUse m = memory_per_gpu(d, 1, 2048, false, 1);
  // layers 6,476,005,376 + embedding and LM head 2 x 131,072,000, fp16
  EXPECT_NEAR(m.weights_bytes, (6476005376.0 + 2 * 131072000.0) * 2, 1.0);
  // 2048 tokens x 2 x 4096 x 32 layers x 2 B = 1 GiB
  EXPECT_NEAR(m.kv_bytes, 1073741824.0, 1.0);
  const MemoryUse eagle = memory_per_gpu(d, 1, 2048, true, 26);
  // head: attention 4 x 4096^2 + MLP 3 x 4096 x 11008 + fc 2 x 4096^2 + 4096 + embedding 32000 x 4096, fp16
  EXPECT_NEAR(eagle.head_bytes - 2048.0 * 2 * 4096 * 2,
              (67108864.0 + 135266304.0 + 33554432.0 + 4096.0 + 131072000.0) * 2, 1.0);
  // the largest batch: the available bytes less the weights, over one sequence's KV (plus its activations)
  d.hw.memory_bytes = m.weights_bytes + 10.5 * 1073741824.0;
  EXPECT_EQ(largest_batch(d, 2048, false, 1), 10);
}

TEST(SimulatorMemory, AHeadWithTwoLayersHoldsAndRunsTwo) {
  Deployment d = round_deployment("vicuna-7b-v1.3.json");
  const double one_layer = memory_per_gpu(d, 1, 2048, true, 26).head_bytes;
  const double one_pass = head_pass(d, 1, 4.0, 2048).total_s();
  ModelConfig two = d.target.config;
  two.n_layers = 2;
  d.head = head_shape(d.target.config, &two, d.target.config.vocab_size);
  EXPECT_EQ(d.head.layers, 2);
  // one more layer: attention 4 x 4096^2 + MLP 3 x 4096 x 11008 in fp16, and its KV for 2048 tokens
  EXPECT_NEAR(memory_per_gpu(d, 1, 2048, true, 26).head_bytes - one_layer,
              (67108864.0 + 135266304.0) * 2 + 2048.0 * 2 * 4096 * 2, 1.0);
  // a pass reads one layer (202 M parameters), fc (34 M) and the LM head (131 M): two layers, 1.55x the bytes
  EXPECT_GT(head_pass(d, 1, 4.0, 2048).total_s(), 1.4 * one_pass);
}

// A head reading three tap layers holds fc [H, 5H]: 3 H^2 more parameters than an EAGLE-1 head.
TEST(SimulatorMemory, AHeadWithTapLayersHoldsAWiderFc) {
  Deployment d = round_deployment("vicuna-7b-v1.3.json");
  const double plain = memory_per_gpu(d, 1, 2048, true, 26).head_bytes;
  d.head = head_shape(d.target.config, nullptr, d.target.config.vocab_size, 3);
  EXPECT_NEAR(memory_per_gpu(d, 1, 2048, true, 26).head_bytes - plain, 3.0 * 4096 * 4096 * 2, 1.0);  // fp16
}

TEST(SimulatorMemory, AModelThatDoesNotFitSaysHowMuch) {
  Deployment d = round_deployment("llama2-70b-chat.json");
  d.hw.memory_bytes = 24.0 * 1073741824.0;
  const std::string e = error_of([&] { check_fits(d, 1, 512, false, 1); });
  EXPECT_NE(e.find("does not fit"), std::string::npos) << e;
  EXPECT_NE(e.find("needs 128."), std::string::npos) << e;  // 68.98e9 params x 2 B = 128.5 GiB
  EXPECT_NE(e.find("has 24.0 GiB"), std::string::npos) << e;
}

TEST(SimulatorSplit, FactorsMustDivide) {
  const Deployment d = round_deployment("mixtral-8x7b-instruct-v0.1.json");
  EXPECT_NE(error_of([&] { check_split({3, 1, 1}, d.target); }).find("--tp 3 does not divide the 32 attention heads"),
            std::string::npos);
  EXPECT_NE(error_of([&] { check_split({1, 3, 1}, d.target); }).find("--pp 3 does not divide the 32 layers"),
            std::string::npos);
  EXPECT_NE(error_of([&] { check_split({1, 1, 3}, d.target); }).find("--ep 3 does not divide the 8 experts"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { check_split({2, 2, 2}, d.target); }), "");
  const Deployment dense = round_deployment("llama2-7b-chat.json");
  EXPECT_NE(error_of([&] { check_split({1, 1, 2}, dense.target); }).find("has no experts"), std::string::npos);
}

TEST(SimulatorTree, ShapesOfTheSpecs) {
  const TreeShape eagle1 = tree_shape(parse_tree_spec("eagle1"));
  EXPECT_EQ(eagle1.depth, 5);
  EXPECT_EQ(eagle1.verify_nodes, 26);
  EXPECT_EQ(eagle1.expansion_rows, (std::vector<int64_t>{4, 4, 1, 1}));  // the reference's non-leaf nodes per level
  const TreeShape chain = tree_shape(parse_tree_spec("chain:3"));
  EXPECT_EQ(chain.verify_nodes, 4);
  EXPECT_EQ(chain.expansion_rows, (std::vector<int64_t>{1, 1}));
  const TreeShape dynamic = tree_shape(parse_tree_spec("dynamic:total=59,depth=5,topk=10"));
  EXPECT_EQ(dynamic.verify_nodes, 60);
  EXPECT_EQ(dynamic.expansion_rows, (std::vector<int64_t>{10, 10, 10, 10}));
  EXPECT_THROW(tree_shape(parse_tree_spec("auto")), Error);
}

TEST(SimulatorAcceptance, TauOfChainsAndTrees) {
  // chain of 3 at alpha 0.5: 1 + 0.5 + 0.25 + 0.125
  EXPECT_NEAR(from_alpha(0.5).tau(tree_shape(parse_tree_spec("chain:3"))), 1.875, 1e-12);
  // two children at depth 1 with n-alpha 0.6: 1 + 0.6 + 0.6 x 0.4
  const TreeShape two = tree_shape(make_static_tree({{0}, {1}}, "t"), "t");
  EXPECT_NEAR(from_n_alpha({0.6}).tau(two), 1.84, 1e-12);
  EXPECT_NEAR(fixed_tau(3.2).tau(two), 3.2, 1e-12);
  // a tree deeper than the n-alpha list does not match the acceptance model
  EXPECT_NE(error_of([&] { from_n_alpha({0.6}).tau(tree_shape(parse_tree_spec("chain:2"))); }).find("covers depths 1..1"),
            std::string::npos);
  EXPECT_THROW(fixed_tau(0.5), Error);
}

class ProfileFileTest : public ::testing::Test {
 protected:
  std::string write_variant(const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = nlohmann::json::parse(std::ifstream(repo_file("data/hardware/a100-sxm4-40gb.json")));
    edit(j);
    const std::string path = (std::filesystem::temp_directory_path() / "simulator_profile_test.json").string();
    std::ofstream(path) << j.dump();
    return path;
  }
};

TEST_F(ProfileFileTest, EveryShippedProfileLoads) {
  for (const auto& entry : std::filesystem::directory_iterator(repo_file("data/hardware"))) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;  // measurements/: inputs
    const HardwareProfile hw = load_hardware_profile(entry.path().string());
    EXPECT_GT(hw.memory_bandwidth_Bps, 0) << entry.path();
    EXPECT_NO_THROW(load_runtime_profile(hw.default_runtime)) << entry.path();
  }
}

TEST_F(ProfileFileTest, UnknownKeysUnitsAndMissingSourcesAreErrors) {
  const auto load_error = [&](const std::function<void(nlohmann::json&)>& edit) {
    const std::string path = write_variant(edit);
    return error_of([&] { load_hardware_profile(path); });
  };
  EXPECT_NE(load_error([](nlohmann::json& j) { j["memory_bandwith"] = j["memory_bandwidth"]; }).find("unknown key 'memory_bandwith'"),
            std::string::npos);
  EXPECT_NE(load_error([](nlohmann::json& j) { j["memory_bandwidth"]["unit"] = "GB"; }).find("unknown unit 'GB'"),
            std::string::npos);
  EXPECT_NE(load_error([](nlohmann::json& j) { j["memory"]["source"] = ""; }).find("'source' must be a non-empty string"),
            std::string::npos);
  EXPECT_NE(load_error([](nlohmann::json& j) { j["peak"]["fp8"] = j["peak"]["fp16"]; }).find("unknown precision 'fp8'"),
            std::string::npos);
  EXPECT_NE(load_error([](nlohmann::json& j) { j["bandwidth_share"]["fp16"]["value"] = 1.5; }).find("must be in (0, 1]"),
            std::string::npos);
}

}  // namespace
}  // namespace eaglerun::sim
