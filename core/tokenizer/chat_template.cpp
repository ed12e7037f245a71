// Chat formats, each rendering exactly what transformers' apply_chat_template renders with the
// model's official Jinja template (bos_token "<s>", eos_token "</s>" for the SentencePiece models):
//   ChatML          SmolLM2-Instruct's tokenizer.chat_template
//   Llama2Chat      meta-llama/Llama-2-*-chat-hf tokenizer_config.json
//   MixtralInstruct mistralai/Mixtral-8x7B-Instruct-v0.1 tokenizer_config.json
//   VicunaV11       FastChat's "vicuna_v1.1" conversation (lmsys ships no Jinja template), with BOS
// data/fixtures/tokenizer/make_tokenizer_fixtures.py holds the templates and checks the renderings.
#include "core/tokenizer/chat_template.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/tokenizer/utf8.h"

namespace eaglerun {
namespace {

constexpr const char* kSmolLMDefaultSystem = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";
constexpr const char* kVicunaDefaultSystem =
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions.";
constexpr const char* kBos = "<s>";
constexpr const char* kEos = "</s>";

// Python's str.isspace() for one code point (the set str.strip() removes).
bool python_isspace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Python's str.strip() with no argument (text is valid UTF-8).
std::string python_strip(const std::string& text) {
  size_t begin = 0;
  size_t end = text.size();
  char32_t cp;
  size_t len;
  while (begin < end && utf8_decode(text, begin, cp, len) && python_isspace(cp)) begin += len;
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
    if (!utf8_decode(text, start, cp, len) || !python_isspace(cp)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

// Splits off a leading system message. Returns the index of the first conversation message.
size_t take_system(const std::vector<ChatMessage>& messages, const std::string** system) {
  *system = nullptr;
  if (!messages.empty() && messages[0].role == "system") {
    *system = &messages[0].content;
    return 1;
  }
  return 0;
}

// The templates' rule: after the optional system message, roles go user, assistant, user, ...
void require_alternating(const std::vector<ChatMessage>& messages, size_t first, const char* format) {
  for (size_t i = first; i < messages.size(); ++i) {
    const char* expected = (i - first) % 2 == 0 ? "user" : "assistant";
    require(messages[i].role == expected, std::string(format) + " chat: message " + std::to_string(i) + " has role '" +
                                              messages[i].role + "', expected '" + expected +
                                              "' (roles must alternate user/assistant after an optional system message)");
  }
}

std::string render_chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string out;
  if (!messages.empty() && messages[0].role != "system") {
    out += std::string("<|im_start|>system\n") + kSmolLMDefaultSystem + "<|im_end|>\n";
  }
  for (const ChatMessage& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

// Llama-2-chat: user turns "<s>[INST] {content.strip()} [/INST]", answers " {content.strip()} </s>";
// a system message is folded into the first user turn as "<<SYS>>\n{system}\n<</SYS>>\n\n{user}".
// The template has no generation prompt: the text already ends where the answer begins.
std::string render_llama2(const std::vector<ChatMessage>& messages) {
  const std::string* system;
  const size_t first = take_system(messages, &system);
  require_alternating(messages, first, "llama2");
  std::string out;
  for (size_t i = first; i < messages.size(); ++i) {
    std::string content;
    if (i == first && system != nullptr) content.append("<<SYS>>\n").append(*system).append("\n<</SYS>>\n\n");
    content += messages[i].content;
    if (messages[i].role == "user") {
      out.append(kBos).append("[INST] ").append(python_strip(content)).append(" [/INST]");
    } else {
      out.append(" ").append(python_strip(content)).append(" ").append(kEos);
    }
  }
  return out;
}

// Mixtral-8x7B-Instruct-v0.1: "<s>" then "[INST] {user} [/INST]" and "{answer}</s>"; the official
// template rejects system messages, and so does this.
std::string render_mixtral(const std::vector<ChatMessage>& messages) {
  require(messages.empty() || messages[0].role != "system",
          "mixtral chat: the Mixtral-Instruct template has no system role");
  require_alternating(messages, 0, "mixtral");
  std::string out = kBos;
  for (const ChatMessage& m : messages) {
    out += m.role == "user" ? "[INST] " + m.content + " [/INST]" : m.content + kEos;
  }
  return out;
}

// FastChat vicuna_v1.1 (separator style ADD_COLON_TWO, sep " ", sep2 "</s>"), preceded by "<s>"
// because encode() never adds BOS: "<s>{system} USER: {q} ASSISTANT: {a}</s>USER: {q2} ASSISTANT:".
std::string render_vicuna(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  const std::string* system;
  const size_t first = take_system(messages, &system);
  require_alternating(messages, first, "vicuna");
  std::string out = std::string(kBos) + (system != nullptr ? *system : kVicunaDefaultSystem) + " ";
  for (size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    out += m.role == "user" ? "USER: " + m.content + " " : "ASSISTANT: " + m.content + kEos;
  }
  if (add_generation_prompt) out += "ASSISTANT:";
  return out;
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool contains(const std::string& haystack, const char* needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

std::string render_chat(ChatFormat format, const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  for (const ChatMessage& m : messages) require(is_valid_utf8(m.content), "chat message is not valid UTF-8");
  switch (format) {
    case ChatFormat::None: {
      std::string out;
      for (const ChatMessage& m : messages) out += m.content;
      return out;
    }
    case ChatFormat::ChatML:
      return render_chatml(messages, add_generation_prompt);
    case ChatFormat::Llama2Chat:
      return render_llama2(messages);
    case ChatFormat::VicunaV11:
      return render_vicuna(messages, add_generation_prompt);
    case ChatFormat::MixtralInstruct:
      return render_mixtral(messages);
  }
  throw Error("unknown chat format");
}

ChatFormat detect_chat_format(const std::string& chat_template, const std::string& model_hint) {
  if (contains(chat_template, "<|im_start|>")) return ChatFormat::ChatML;
  if (contains(chat_template, "<<SYS>>")) return ChatFormat::Llama2Chat;
  if (contains(chat_template, "[INST]")) return ChatFormat::MixtralInstruct;
  if (contains(chat_template, "USER:") && contains(chat_template, "ASSISTANT:")) return ChatFormat::VicunaV11;
  const std::string hint = lowercase(model_hint);
  if (contains(hint, "smollm") || contains(hint, "qwen") || contains(hint, "chatml")) return ChatFormat::ChatML;
  if (contains(hint, "vicuna")) return ChatFormat::VicunaV11;
  if (contains(hint, "mixtral") || contains(hint, "mistral")) return ChatFormat::MixtralInstruct;
  if (contains(hint, "llama")) return ChatFormat::Llama2Chat;
  return ChatFormat::None;
}

std::vector<std::string> chat_stop_strings(ChatFormat format) {
  switch (format) {
    case ChatFormat::None:
      return {};
    case ChatFormat::ChatML:
      return {"<|im_end|>"};
    case ChatFormat::Llama2Chat:
    case ChatFormat::VicunaV11:
    case ChatFormat::MixtralInstruct:
      return {kEos};
  }
  return {};
}

ChatFormat parse_chat_format(const std::string& name) {
  const std::string n = lowercase(name);
  if (n == "none") return ChatFormat::None;
  if (n == "chatml") return ChatFormat::ChatML;
  if (n == "llama2") return ChatFormat::Llama2Chat;
  if (n == "vicuna") return ChatFormat::VicunaV11;
  if (n == "mixtral") return ChatFormat::MixtralInstruct;
  throw Error("unknown chat format '" + name + "' (expected chatml, llama2, vicuna, mixtral or none)");
}

}  // namespace eaglerun
