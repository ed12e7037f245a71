#include "experiments/regenerated_text.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "experiments/conversation.h"

namespace eaglerun {
namespace fs = std::filesystem;
namespace {

// Cuts a last line without its line break (a write interrupted by a kill).
void drop_partial_last_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty() || text.back() == '\n') return;
  const std::size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  fs::resize_file(path, keep);
}

}  // namespace

RegeneratedText::RegeneratedText(const std::string& path) : path_(path) {
  if (fs::exists(path)) {
    drop_partial_last_line(path);
    ConversationReader reader(path);
    Conversation c;
    while (reader.next(c)) turns_.emplace(c.id, std::move(c.turns));
  } else if (fs::path(path).has_parent_path()) {
    fs::create_directories(fs::path(path).parent_path());
  }
  out_.open(path, std::ios::app | std::ios::binary);
  require(out_.good(), "cannot write the regenerated text file '" + path + "'");
}

void RegeneratedText::append(const std::string& id, const std::vector<ChatMessage>& turns) {
  if (turns_.contains(id)) return;
  const bool answered = std::any_of(turns.begin(), turns.end(), [](const ChatMessage& t) { return t.role == "user"; });
  if (!answered) {  // its first user turn does not fit: nothing to keep, and cheap to find again
    turns_.emplace(id, turns);
    return;
  }
  const std::string line = conversation_json(id, turns);
  // Kept as the file holds it (invalid UTF-8 replaced), so a resumed run reads back the same answers.
  turns_.emplace(id, parse_conversation(line, path_).turns);
  out_ << line << '\n';
  out_.flush();
  require(out_.good(), "cannot write the regenerated text file '" + path_ + "'");
}

}  // namespace eaglerun
