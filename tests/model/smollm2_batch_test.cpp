// Batched plain decoding on the default model (SmolLM2-135M Q4_1, fast kernels, 2 threads): six
// MT-bench questions of different lengths with different token limits decoded together on one rank
// give each question the greedy tokens it gets decoded alone, stop tokens included.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/runtime/engine.h"
#include "core/runtime/generator.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

TEST(SmolLM2Batch, MtBenchQuestionsDecodedTogetherEqualEachAlone) {
  Engine engine({.model_path = test::default_model_path(), .threads = 2});
  std::ifstream in(test::source_dir() + "/data/eval/mt_bench/question.jsonl");
  std::vector<std::vector<int32_t>> prompts;
  std::string line;
  for (int i = 0; i < 6 && std::getline(in, line); ++i) {
    prompts.push_back(engine.encode_prompt(nlohmann::json::parse(line)["turns"][0].get<std::string>(), false));
  }
  ASSERT_EQ(prompts.size(), 6u);
  std::vector<GenerationRequest> requests;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    requests.push_back({prompts[i], static_cast<int64_t>(8 + 5 * i), engine.stop_tokens(false), {}});
  }
  // One stops on a token it produces early, so sequences also leave the batch on a stop token.
  Sampler alone({});
  std::vector<std::vector<int32_t>> want;
  for (const GenerationRequest& r : requests) want.push_back(generate_plain(engine.model(), alone, r).output_tokens);
  requests[2].stop_tokens.push_back(want[2][3]);
  want[2] = generate_plain(engine.model(), alone, requests[2]).output_tokens;

  LocalTarget target(engine.model());
  const std::vector<GenerationResult> batch = generate_plain_batch(target, requests);
  ASSERT_EQ(batch.size(), requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(batch[i].output_tokens, want[i]) << "question " << i;
  }
  EXPECT_TRUE(batch[2].stopped);
  EXPECT_LT(batch[2].new_tokens(), requests[2].max_new_tokens);
}

}  // namespace
}  // namespace eaglerun
