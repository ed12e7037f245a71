#pragma once
// Conversation JSONL, the input of feature extraction (made by data/sharegpt/prepare.py):
//   {"id": "QWJhYvA_0", "turns": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}, ...]}
// An optional first "system" turn, then user and assistant turns alternating, starting with user.
// Read one record at a time, so the file's size does not matter.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "core/tokenizer/chat_template.h"

namespace eaglerun {

struct Conversation {
  std::string id;                  // "id" from the file (a number is kept as its JSON text)
  int64_t index = -1;              // 0-based record number in the file (blank lines do not count)
  std::vector<ChatMessage> turns;  // roles validated as described above
};

class ConversationReader {
 public:
  // Throws Error when the file cannot be opened.
  explicit ConversationReader(const std::string& path);
  // The next record; false at the end of the file. Throws Error naming path:line for a malformed record.
  bool next(Conversation& out);

 private:
  std::string path_;
  std::ifstream in_;
  int64_t line_no_ = 0;
  int64_t index_ = 0;
};

// Parses one record; `where` (e.g. "file.jsonl:12") prefixes error messages.
Conversation parse_conversation(const std::string& line, const std::string& where);

// One record of the format above, without a line break. Text that is not valid UTF-8 (an answer cut
// inside a character) has U+FFFD in place of the bad bytes.
std::string conversation_json(const std::string& id, const std::vector<ChatMessage>& turns);

// Records in the file (non-blank lines), without parsing them.
int64_t count_conversations(const std::string& path);

// Parses the first `limit` records (all for -1) and returns how many there are; throws Error for the
// first malformed one, so a bad file fails before any work is done.
int64_t check_conversations(const std::string& path, int64_t limit);

}  // namespace eaglerun
