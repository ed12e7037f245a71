#include "experiments/conversation.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace eaglerun {
namespace {

bool is_blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// Optional system turn first, then user/assistant alternating from user.
void check_roles(const std::vector<ChatMessage>& turns, const std::string& where) {
  size_t first = !turns.empty() && turns[0].role == "system" ? 1 : 0;
  for (size_t i = first; i < turns.size(); ++i) {
    const char* expected = (i - first) % 2 == 0 ? "user" : "assistant";
    require(turns[i].role == expected, where + ": turn " + std::to_string(i) + " has role '" + turns[i].role +
                                           "', expected '" + expected + "'");
  }
  require(turns.size() > first, where + ": the conversation has no user turn");
}

}  // namespace

Conversation parse_conversation(const std::string& line, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": invalid JSON: " + e.what());
  }
  require(j.is_object(), where + ": expected a JSON object");
  require(j.contains("id") && (j["id"].is_string() || j["id"].is_number_integer()), where + ": missing string \"id\"");
  require(j.contains("turns") && j["turns"].is_array(), where + ": missing \"turns\" array");
  Conversation c;
  c.id = j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
  for (const nlohmann::json& t : j["turns"]) {
    require(t.is_object() && t.contains("role") && t["role"].is_string() && t.contains("content") &&
                t["content"].is_string(),
            where + ": each turn needs string \"role\" and \"content\"");
    c.turns.push_back({t["role"].get<std::string>(), t["content"].get<std::string>()});
  }
  check_roles(c.turns, where);
  return c;
}

std::string conversation_json(const std::string& id, const std::vector<ChatMessage>& turns) {
  nlohmann::json j = {{"id", id}, {"turns", nlohmann::json::array()}};
  for (const ChatMessage& t : turns) j["turns"].push_back({{"role", t.role}, {"content", t.content}});
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ConversationReader::ConversationReader(const std::string& path) : path_(path), in_(path) {
  require(in_.good(), "cannot open conversation file '" + path + "'");
}

bool ConversationReader::next(Conversation& out) {
  std::string line;
  while (std::getline(in_, line)) {
    ++line_no_;
    if (is_blank(line)) continue;
    out = parse_conversation(line, path_ + ":" + std::to_string(line_no_));
    out.index = index_++;
    return true;
  }
  require(!in_.bad(), "cannot read conversation file '" + path_ + "'");
  return false;
}

int64_t count_conversations(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), "cannot open conversation file '" + path + "'");
  int64_t n = 0;
  std::string line;
  while (std::getline(in, line)) n += is_blank(line) ? 0 : 1;
  return n;
}

int64_t check_conversations(const std::string& path, int64_t limit) {
  ConversationReader reader(path);
  Conversation c;
  int64_t n = 0;
  while ((limit < 0 || n < limit) && reader.next(c)) ++n;
  return n;
}

}  // namespace eaglerun
