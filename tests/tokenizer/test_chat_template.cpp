// Chat formats against transformers' apply_chat_template with the official Jinja templates
// (data/fixtures/tokenizer/chat_templates.jsonl), plus format detection and errors.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/tokenizer/chat_template.h"
#include "tests/tokenizer/fixture_io.h"

namespace eaglerun {
namespace {

std::vector<ChatMessage> messages_of(const nlohmann::json& row) {
  std::vector<ChatMessage> out;
  for (const auto& m : row.at("messages")) out.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
  return out;
}

TEST(ChatTemplate, RendersAsTheOfficialJinjaTemplates) {
  const std::vector<nlohmann::json> rows = test::read_jsonl("tokenizer/chat_templates.jsonl");
  ASSERT_GE(rows.size(), 100u);
  int failures = 0;
  for (const nlohmann::json& row : rows) {
    const std::string format = row.at("format").get<std::string>();
    const std::string rendered = render_chat(parse_chat_format(format), messages_of(row), row.at("add_generation_prompt"));
    const std::string expected = row.at("text").get<std::string>();
    if (rendered != expected && ++failures <= 10) {
      ADD_FAILURE() << format << ": got\n" << test::escaped(rendered) << "\nexpected\n" << test::escaped(expected);
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(ChatTemplate, ChatMLAddsSmolLMsDefaultSystemPrompt) {
  EXPECT_EQ(render_chat(ChatFormat::ChatML, {{"user", "Hi"}}, true),
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render_chat(ChatFormat::ChatML, {{"system", "S"}, {"user", "Hi"}}, false),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
}

TEST(ChatTemplate, SentencePieceFormats) {
  EXPECT_EQ(render_chat(ChatFormat::Llama2Chat, {{"system", "S"}, {"user", " q1 "}, {"assistant", "a1"}, {"user", "q2"}}, true),
            "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\n q1 [/INST] a1 </s><s>[INST] q2 [/INST]");  // strip() sees "<<SYS>>..."
  EXPECT_EQ(render_chat(ChatFormat::MixtralInstruct, {{"user", "q1"}, {"assistant", "a1"}, {"user", "q2"}}, true),
            "<s>[INST] q1 [/INST]a1</s>[INST] q2 [/INST]");
  EXPECT_EQ(render_chat(ChatFormat::VicunaV11, {{"user", "q"}}, true),
            "<s>A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, "
            "detailed, and polite answers to the user's questions. USER: q ASSISTANT:");
  EXPECT_EQ(render_chat(ChatFormat::None, {{"user", "raw text"}}, true), "raw text");
}

TEST(ChatTemplate, RejectsConversationsTheTemplatesReject) {
  EXPECT_THROW(render_chat(ChatFormat::Llama2Chat, {{"user", "a"}, {"user", "b"}}, true), Error);
  EXPECT_THROW(render_chat(ChatFormat::VicunaV11, {{"assistant", "a"}}, true), Error);
  EXPECT_THROW(render_chat(ChatFormat::MixtralInstruct, {{"system", "s"}, {"user", "u"}}, true), Error);
  EXPECT_THROW(render_chat(ChatFormat::MixtralInstruct, {{"user", "u"}, {"tool", "t"}}, true), Error);
  EXPECT_THROW(render_chat(ChatFormat::ChatML, {{"user", "\xFF"}}, true), Error);
}

TEST(ChatTemplate, ParsesFormatNames) {
  EXPECT_EQ(parse_chat_format("chatml"), ChatFormat::ChatML);
  EXPECT_EQ(parse_chat_format("llama2"), ChatFormat::Llama2Chat);
  EXPECT_EQ(parse_chat_format("vicuna"), ChatFormat::VicunaV11);
  EXPECT_EQ(parse_chat_format("mixtral"), ChatFormat::MixtralInstruct);
  EXPECT_EQ(parse_chat_format("none"), ChatFormat::None);
  EXPECT_THROW(parse_chat_format("alpaca"), Error);
}

TEST(ChatTemplate, DetectsFormats) {
  EXPECT_EQ(detect_chat_format("{{'<|im_start|>' + message['role']}}", ""), ChatFormat::ChatML);
  EXPECT_EQ(detect_chat_format("{{ bos_token + '[INST] ' }}{% set c = '<<SYS>>\\n' %}", ""), ChatFormat::Llama2Chat);
  EXPECT_EQ(detect_chat_format("{{ bos_token }}{{ '[INST] ' + message['content'] + ' [/INST]' }}", ""),
            ChatFormat::MixtralInstruct);
  EXPECT_EQ(detect_chat_format("", "Mixtral-8x7B-Instruct-v0.1"), ChatFormat::MixtralInstruct);
  EXPECT_EQ(detect_chat_format("", "vicuna-7b-v1.3"), ChatFormat::VicunaV11);
  EXPECT_EQ(detect_chat_format("", "Llama-2-7b-chat-hf"), ChatFormat::Llama2Chat);
  EXPECT_EQ(detect_chat_format("", "SmolLM2-135M-Instruct"), ChatFormat::ChatML);
  EXPECT_EQ(detect_chat_format("", "gpt2"), ChatFormat::None);
}

TEST(ChatTemplate, StopStrings) {
  EXPECT_EQ(chat_stop_strings(ChatFormat::ChatML), std::vector<std::string>{"<|im_end|>"});
  EXPECT_EQ(chat_stop_strings(ChatFormat::Llama2Chat), std::vector<std::string>{"</s>"});
  EXPECT_TRUE(chat_stop_strings(ChatFormat::None).empty());
}

}  // namespace
}  // namespace eaglerun
