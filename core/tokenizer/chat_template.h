#pragma once
// Chat prompt formats. Rendered to text in which special tokens appear as their strings
// ("<|im_start|>", "<s>", ...); Tokenizer::encode() turns those into single special-token ids.
#include <string>
#include <vector>

namespace eaglerun {

enum class ChatFormat {
  None,             // the raw prompt
  ChatML,           // SmolLM2 / Qwen style <|im_start|>role\n...<|im_end|>\n
  Llama2Chat,       // <s>[INST] <<SYS>>\n...\n<</SYS>>\n\nuser [/INST] answer </s>
  VicunaV11,        // "A chat between ... USER: ... ASSISTANT:"
  MixtralInstruct,  // <s>[INST] user [/INST] answer</s>
};

struct ChatMessage {
  std::string role;     // "system", "user" or "assistant"
  std::string content;
};

// Renders messages; with add_generation_prompt the text ends where the assistant's answer begins.
// ChatML inserts SmolLM2's default system prompt when the first message is not a system message.
std::string render_chat(ChatFormat format, const std::vector<ChatMessage>& messages, bool add_generation_prompt);

// Picks the format from a GGUF tokenizer.chat_template string or a model name/type ("llama", "mixtral",
// "vicuna"). Returns None when nothing matches.
ChatFormat detect_chat_format(const std::string& chat_template, const std::string& model_hint);

// Strings that end an assistant turn in that format ("<|im_end|>" for ChatML, "</s>" otherwise).
std::vector<std::string> chat_stop_strings(ChatFormat format);

ChatFormat parse_chat_format(const std::string& name);  // "chatml", "llama2", "vicuna", "mixtral", "none"; throws Error

}  // namespace eaglerun
