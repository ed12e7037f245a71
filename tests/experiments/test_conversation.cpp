// Conversation JSONL parsing and its error messages.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "experiments/conversation.h"
#include "tests/experiments/test_paths_experiments.h"

namespace eaglerun {
namespace {

std::string parse_error(const std::string& line) {
  try {
    parse_conversation(line, "f.jsonl:3");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Conversation, ParsesTurnsAndId) {
  const Conversation c = parse_conversation(
      R"({"id": "x_1", "turns": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
          {"role": "assistant", "content": "a"}]})",
      "f:1");
  EXPECT_EQ(c.id, "x_1");
  ASSERT_EQ(c.turns.size(), 3u);
  EXPECT_EQ(c.turns[1].role, "user");
  EXPECT_EQ(c.turns[2].content, "a");
  EXPECT_EQ(parse_conversation(R"({"id": 42, "turns": [{"role": "user", "content": "q"}]})", "f:1").id, "42");
}

TEST(Conversation, ClearErrorsNamingTheLine) {
  EXPECT_NE(parse_error("{not json").find("f.jsonl:3: invalid JSON"), std::string::npos);
  EXPECT_NE(parse_error(R"({"turns": []})").find("f.jsonl:3: missing string \"id\""), std::string::npos);
  EXPECT_NE(parse_error(R"({"id": "a"})").find("missing \"turns\""), std::string::npos);
  EXPECT_NE(parse_error(R"({"id": "a", "turns": [{"role": "user"}]})").find("\"role\" and \"content\""),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"id": "a", "turns": [{"role": "assistant", "content": "x"}]})")
                .find("turn 0 has role 'assistant', expected 'user'"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"id": "a", "turns": [{"role": "user", "content": "x"}, {"role": "user", "content": "y"}]})")
                .find("expected 'assistant'"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"id": "a", "turns": []})").find("no user turn"), std::string::npos);
}

TEST(Conversation, ReaderCountsRecordsAndSkipsBlankLines) {
  const std::string path = test::fresh_temp_dir("conversation_reader") + "/c.jsonl";
  std::ofstream(path) << R"({"id": "a", "turns": [{"role": "user", "content": "q"}]})" << "\n\n"
                      << R"({"id": "b", "turns": [{"role": "user", "content": "q"}]})" << "\n"
                      << "oops\n";
  EXPECT_EQ(count_conversations(path), 3);
  ConversationReader reader(path);
  Conversation c;
  ASSERT_TRUE(reader.next(c));
  EXPECT_EQ(c.index, 0);
  ASSERT_TRUE(reader.next(c));
  EXPECT_EQ(c.id, "b");
  EXPECT_EQ(c.index, 1);
  try {
    reader.next(c);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.jsonl:4: invalid JSON"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ConversationReader("/nonexistent.jsonl"), Error);
  EXPECT_EQ(check_conversations(path, 2), 2);  // the malformed third record is not read
  EXPECT_THROW(check_conversations(path, -1), Error);
}

TEST(Conversation, FixtureFileParses) { EXPECT_EQ(count_conversations(test::conversations_fixture()), 14); }

}  // namespace
}  // namespace eaglerun
