#pragma once
// The regenerated conversations as text: a conversation JSONL file (conversation.h's format) that
// `eaglerun extract --source regenerated --regen-text FILE` appends to, one line per conversation
// as soon as its answers exist. The target's answers are the costly part of a regenerated
// extraction (the target writes every token); this file keeps them small enough to store with the
// project, and `eaglerun extract --data FILE` (source sharegpt) turns it into the same features.
//
// Resuming: conversations already in the file (by id) are not written again, and a last line cut
// by a kill (no line break) is dropped when the file is opened. Their answers are read back
// (answers()), so a rerun without the feature folder does not make the target write them again.
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tokenizer/chat_template.h"

namespace eaglerun {

class RegeneratedText {
 public:
  // Opens (creating) `path`. Throws Error when it cannot be written or holds a malformed record.
  explicit RegeneratedText(const std::string& path);

  bool contains(const std::string& id) const { return turns_.contains(id); }
  int64_t size() const { return static_cast<int64_t>(turns_.size()); }
  // The stored conversation with its answers; `id` must be there.
  const std::vector<ChatMessage>& answers(const std::string& id) const { return turns_.at(id); }
  // Appends the conversation (flushed) unless its id is already there. A conversation without a user
  // turn (its first one does not fit the context, so the target answered nothing) is only remembered:
  // the file holds conversations in the format extract reads, and a rerun finds it unanswered again.
  void append(const std::string& id, const std::vector<ChatMessage>& turns);

 private:
  std::string path_;
  std::unordered_map<std::string, std::vector<ChatMessage>> turns_;  // by id
  std::ofstream out_;
};

}  // namespace eaglerun
