// tokenizer_from_gguf on small in-memory GGUF images: which tokenizer.ggml.* it accepts and rejects.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/tokenizer.h"
#include "core/weights/gguf_file.h"
#include "tests/tokenizer/gguf_builder.h"

namespace eaglerun {
namespace {

// A byte-level vocabulary: the 256 byte characters, "ab", and a control token "<|end|>".
test::GgufBuilder gpt2_gguf(const std::string& pre) {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(bytes_to_byte_level(std::string(1, static_cast<char>(b))));
  tokens.push_back("ab");
  tokens.push_back("<|end|>");
  std::vector<int32_t> types(256, 1);
  types.push_back(1);
  types.push_back(3);
  test::GgufBuilder b;
  b.add_string("general.architecture", "llama")
      .add_string("tokenizer.ggml.model", "gpt2")
      .add_string_array("tokenizer.ggml.tokens", tokens)
      .add_int32_array("tokenizer.ggml.token_type", types)
      .add_string_array("tokenizer.ggml.merges", {"a b"})
      .add_int32("tokenizer.ggml.eos_token_id", 257);
  if (!pre.empty()) b.add_string("tokenizer.ggml.pre", pre);
  return b;
}

std::string error_of(const test::GgufBuilder& b) {
  const std::vector<std::byte> image = b.build();
  try {
    tokenizer_from_gguf(*GgufFile::parse(image.data(), image.size(), "mem.gguf"));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GgufTokenizer, BuildsByteLevelBpe) {
  for (const std::string pre : {"smollm", "gpt2", ""}) {
    const std::vector<std::byte> image = gpt2_gguf(pre).build();
    const auto tok = tokenizer_from_gguf(*GgufFile::parse(image.data(), image.size(), "mem.gguf"));
    EXPECT_EQ(tok->encode("ab1<|end|>"), (std::vector<int32_t>{256, '1', 257})) << pre;
    EXPECT_EQ(tok->eos_id(), 257);
    EXPECT_EQ(tok->bos_id(), -1);
  }
}

TEST(GgufTokenizer, RejectsUnknownPreTokenizer) {
  const std::string err = error_of(gpt2_gguf("deepseek-llm"));
  EXPECT_NE(err.find("mem.gguf"), std::string::npos) << err;
  EXPECT_NE(err.find("unsupported pre-tokenizer 'deepseek-llm'"), std::string::npos) << err;
}

TEST(GgufTokenizer, RejectsUnknownTokenizerModel) {
  test::GgufBuilder b;
  b.add_string("tokenizer.ggml.model", "bert").add_string_array("tokenizer.ggml.tokens", {"a"});
  const std::string err = error_of(b);
  EXPECT_NE(err.find("unsupported tokenizer.ggml.model 'bert'"), std::string::npos) << err;
}

TEST(GgufTokenizer, RejectsMissingOrBrokenArrays) {
  test::GgufBuilder no_model;
  no_model.add_string("general.architecture", "llama");
  EXPECT_NE(error_of(no_model), "");

  test::GgufBuilder no_merges;
  no_merges.add_string("tokenizer.ggml.model", "gpt2").add_string_array("tokenizer.ggml.tokens", {"a", "b"});
  EXPECT_NE(error_of(no_merges), "");

  test::GgufBuilder bad_merge;
  bad_merge.add_string("tokenizer.ggml.model", "gpt2")
      .add_string_array("tokenizer.ggml.tokens", {"a", "b"})
      .add_string_array("tokenizer.ggml.merges", {"a b"});  // "ab" is not in the vocabulary
  EXPECT_NE(error_of(bad_merge).find("BPE merge 0 'a b'"), std::string::npos) << error_of(bad_merge);

  test::GgufBuilder short_types;
  short_types.add_string("tokenizer.ggml.model", "gpt2")
      .add_string_array("tokenizer.ggml.tokens", {"a", "b", "ab"})
      .add_int32_array("tokenizer.ggml.token_type", {1, 1})
      .add_string_array("tokenizer.ggml.merges", {"a b"});
  EXPECT_NE(error_of(short_types).find("3 tokens but 2 token types"), std::string::npos) << error_of(short_types);
}

}  // namespace
}  // namespace eaglerun
