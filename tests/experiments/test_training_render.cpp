// Chat rendering with loss masks: exact mask positions, segment-wise == whole-text encoding, truncation.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "experiments/conversation.h"
#include "experiments/training_render.h"
#include "tests/experiments/test_paths_experiments.h"

namespace eaglerun {
namespace {

class RenderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (test::default_model_available()) tokenizer_ = load_tokenizer(test::default_model_path()).release();
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    tokenizer_ = nullptr;
  }
  void SetUp() override {
    if (tokenizer_ == nullptr) GTEST_SKIP() << "default model missing; run data/fetch_model.sh";
  }
  const Tokenizer& tok() const { return *tokenizer_; }
  int32_t id_of(const std::string& special) const {
    const std::vector<int32_t> ids = tok().encode(special);
    EXPECT_EQ(ids.size(), 1u) << special;
    return ids.at(0);
  }
  // The text of the masked tokens, in order.
  std::string masked_text(const TrainingTokens& t) const {
    std::vector<int32_t> ids;
    for (size_t i = 0; i < t.tokens.size(); ++i) {
      if (t.loss_mask[i]) ids.push_back(t.tokens[i]);
    }
    return tok().decode(ids);
  }
  static Tokenizer* tokenizer_;
};
Tokenizer* RenderTest::tokenizer_ = nullptr;

std::vector<Conversation> fixture_conversations() {
  std::vector<Conversation> out;
  ConversationReader reader(test::conversations_fixture());
  Conversation c;
  while (reader.next(c)) out.push_back(c);
  return out;
}

TEST_F(RenderTest, MaskCoversExactlyAnswerAndEndOfTurn) {
  const std::vector<ChatMessage> chat = {{"user", "Hi"}, {"assistant", "Hello there!"}};
  const TrainingTokens t = render_training_tokens(tok(), ChatFormat::ChatML, chat, 4096);
  const std::vector<int32_t> head = tok().encode(
      "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
      "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  const std::vector<int32_t> answer = tok().encode("Hello there!");
  ASSERT_EQ(t.tokens.size(), head.size() + answer.size() + 2);  // + <|im_end|> + "\n"
  for (size_t i = 0; i < t.tokens.size(); ++i) {
    const bool in_answer = i >= head.size() && i <= head.size() + answer.size();
    EXPECT_EQ(t.loss_mask[i], in_answer ? 1 : 0) << "position " << i;
  }
  EXPECT_EQ(t.tokens[head.size() + answer.size()], id_of("<|im_end|>"));
  EXPECT_EQ(t.tokens.back(), tok().encode("\n").at(0));
  EXPECT_TRUE(t.segmentwise);
  EXPECT_FALSE(t.truncated);
}

TEST_F(RenderTest, MaskedTokensSpellEveryAnswerWithItsEndOfTurn) {
  const std::vector<ChatMessage> chat = {{"system", "Be brief."}, {"user", "Q1"}, {"assistant", "A one."},
                                         {"user", "Q2"},          {"assistant", "A two."}};
  const TrainingTokens t = render_training_tokens(tok(), ChatFormat::ChatML, chat, 4096);
  EXPECT_EQ(masked_text(t), "A one.<|im_end|>A two.<|im_end|>");
  EXPECT_EQ(t.tokens, tok().encode(render_chat(ChatFormat::ChatML, chat, false)));
  EXPECT_EQ(t.tokens.front(), id_of("<|im_start|>"));
  EXPECT_EQ(t.loss_mask.front(), 0);
}

TEST_F(RenderTest, SegmentwiseEqualsWholeTextOnFixtureConversations) {
  for (const Conversation& c : fixture_conversations()) {
    const TrainingTokens t = render_training_tokens(tok(), ChatFormat::ChatML, c.turns, 1 << 20);
    EXPECT_EQ(t.tokens, tok().encode(render_chat(ChatFormat::ChatML, c.turns, false))) << c.id;
    std::string answers;
    for (const ChatMessage& m : c.turns) answers += m.role == "assistant" ? m.content + "<|im_end|>" : "";
    // Only an answer starting with two or more whitespace characters needs the whole-text path, where the
    // token joining the header's newline to the answer's counts as answer.
    EXPECT_EQ(t.segmentwise, c.id != "newline_0") << c.id;
    EXPECT_EQ(masked_text(t), t.segmentwise ? answers : "\n" + answers) << c.id;
  }
}

// What the check below saw on a prepared ShareGPT file.
struct ShareGptCheck {
  int64_t checked = 0, segmentwise = 0, truncated = 0;
  std::vector<std::string> whole_text_ids;  // conversations that needed the whole-text path
};

TEST_F(RenderTest, SegmentwiseEqualsWholeTextOnShareGpt) {
  // Segment-wise rendering at training's max_len (1024) equals the whole text encoded and cut there, on
  // the first `limit` conversations of the file.
  const auto check = [&](const std::string& path, int64_t limit) {
    ShareGptCheck r;
    ConversationReader reader(path);
    Conversation c;
    while (r.checked < limit && reader.next(c)) {
      const TrainingTokens t = render_training_tokens(tok(), ChatFormat::ChatML, c.turns, 1024);
      std::vector<int32_t> whole = tok().encode(render_chat(ChatFormat::ChatML, c.turns, false));
      EXPECT_EQ(t.truncated, whole.size() > 1024) << c.id;
      whole.resize(std::min<size_t>(whole.size(), 1024));
      EXPECT_EQ(t.tokens, whole) << c.id;
      if (!t.segmentwise) r.whole_text_ids.push_back(c.id);
      r.segmentwise += t.segmentwise ? 1 : 0;
      r.truncated += t.truncated ? 1 : 0;
      ++r.checked;
    }
    return r;
  };
  // Always: tests/experiments/data/sharegpt_sample.jsonl, conversations written for this test in
  // ShareGPT's raw format (sharegpt_sample_raw.json: a TypingMind banner, a part starting with an answer,
  // an unanswered last question, an empty turn, a question without an answer) and prepared by
  //   python3 data/sharegpt/prepare.py --input tests/experiments/data/sharegpt_sample_raw.json --out DIR
  // (DIR/sharegpt.jsonl). 9 conversations survive; one runs past 1024 tokens; only Lz5eY0c_0's answer
  // starts with a blank line and needs the whole-text path.
  const ShareGptCheck sample = check(test::source_dir() + "/tests/experiments/data/sharegpt_sample.jsonl", 1000);
  EXPECT_EQ(sample.checked, 9);
  EXPECT_EQ(sample.truncated, 1);
  EXPECT_EQ(sample.whole_text_ids, std::vector<std::string>{"Lz5eY0c_0"});
  // Also, where data/sharegpt/fetch.sh and prepare.py have run, the first 200 real conversations.
  const std::string prepared = test::source_dir() + "/data/sharegpt/prepared/sharegpt.jsonl";
  if (std::filesystem::exists(prepared)) {
    const ShareGptCheck real = check(prepared, 200);
    EXPECT_EQ(real.checked, 200);
    EXPECT_GE(real.segmentwise, 190) << "segment-wise encoding should almost always agree";
  }
}

TEST_F(RenderTest, AnswerStartingWithBlankLinesFallsBackAndStillMasksIt) {
  const std::vector<ChatMessage> chat = {{"user", "List"}, {"assistant", "\n\n- a\n- b"}};
  const TrainingTokens t = render_training_tokens(tok(), ChatFormat::ChatML, chat, 4096);
  EXPECT_FALSE(t.segmentwise);
  EXPECT_EQ(t.tokens, tok().encode(render_chat(ChatFormat::ChatML, chat, false)));
  const std::string masked = masked_text(t);
  // The token that merges "assistant\n" 's newline with the answer's newlines counts as answer.
  EXPECT_TRUE(masked.ends_with("\n\n- a\n- b<|im_end|>")) << masked;
  EXPECT_LE(masked.size(), std::string("\n\n\n- a\n- b<|im_end|>").size()) << masked;
}

TEST_F(RenderTest, TruncatesToMaxLen) {
  const std::vector<ChatMessage> chat = {{"user", "Hi"}, {"assistant", std::string(2000, 'x') + " done"}};
  const TrainingTokens full = render_training_tokens(tok(), ChatFormat::ChatML, chat, 1 << 20);
  const TrainingTokens cut = render_training_tokens(tok(), ChatFormat::ChatML, chat, 40);
  ASSERT_EQ(cut.tokens.size(), 40u);
  EXPECT_TRUE(cut.truncated);
  EXPECT_FALSE(full.truncated);
  EXPECT_TRUE(std::equal(cut.tokens.begin(), cut.tokens.end(), full.tokens.begin()));
  EXPECT_TRUE(std::equal(cut.loss_mask.begin(), cut.loss_mask.end(), full.loss_mask.begin()));
}

TEST_F(RenderTest, AnswerBeyondMaxLenLeavesNoLossTokens) {
  const std::vector<ChatMessage> chat = {{"user", std::string(3000, 'q')}, {"assistant", "late answer"}};
  const TrainingTokens t = render_training_tokens(tok(), ChatFormat::ChatML, chat, 64);
  EXPECT_EQ(t.tokens.size(), 64u);
  EXPECT_EQ(t.loss_tokens(), 0);
}

// Loss spans on the text level, for every chat format (no tokenizer involved).
std::vector<std::string> span_texts(ChatFormat f, const std::vector<ChatMessage>& chat) {
  const RenderedText r = render_with_loss_spans(f, chat);
  std::vector<std::string> out;
  for (const LossSpan& s : r.spans) out.push_back(r.text.substr(s.begin, s.end - s.begin));
  return out;
}

TEST(LossSpans, EveryFormatMarksAnswersAndTheirEndOfTurn) {
  const std::vector<ChatMessage> chat = {{"user", "q1"}, {"assistant", "a1"}, {"user", "q2"}, {"assistant", "a2"}};
  using V = std::vector<std::string>;
  EXPECT_EQ(span_texts(ChatFormat::ChatML, chat), (V{"a1<|im_end|>", "a2<|im_end|>"}));
  EXPECT_EQ(span_texts(ChatFormat::Llama2Chat, chat), (V{" a1 </s>", " a2 </s>"}));
  EXPECT_EQ(span_texts(ChatFormat::VicunaV11, chat), (V{" a1</s>", " a2</s>"}));
  EXPECT_EQ(span_texts(ChatFormat::MixtralInstruct, chat), (V{"a1</s>", "a2</s>"}));
  EXPECT_EQ(span_texts(ChatFormat::None, chat), (V{"a1", "a2"}));
}

}  // namespace
}  // namespace eaglerun
