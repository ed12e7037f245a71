#pragma once
// Chat prompt formats. Rendered to text in which special tokens appear as their strings
// ("<|im_start|>", "<s>", ...); Tokenizer::encode() turns those into single special-token ids.
// Each format renders exactly what transformers' apply_chat_template renders with the model's official
// template (checked by data/fixtures/tokenizer/make_tokenizer_fixtures.py). The SentencePiece formats
// begin with "<s>" because encode() never adds BOS.
#include <string>
#include <vector>

namespace eaglerun {

enum class ChatFormat {
  None,             // the raw prompt
  ChatML,           // SmolLM2 / Qwen style <|im_start|>role\n...<|im_end|>\n
  Llama2Chat,       // <s>[INST] <<SYS>>\n...\n<</SYS>>\n\nuser [/INST] answer </s><s>[INST] ... (contents strip()ped)
  VicunaV11,        // FastChat vicuna_v1.1: "<s>A chat between ... USER: q ASSISTANT: a</s>USER: q2 ASSISTANT:"
  MixtralInstruct,  // <s>[INST] user [/INST]answer</s>[INST] ...; no system role
};

struct ChatMessage {
  std::string role;     // "system", "user" or "assistant"
  std::string content;
};

// Renders messages; with add_generation_prompt the text ends where the assistant's answer begins
// (Llama2Chat and MixtralInstruct always end there after a user turn). ChatML inserts SmolLM2's default
// system prompt when the first message is not a system message; VicunaV11 uses FastChat's default system
// prompt. None concatenates the contents. Throws Error where the official template raises (roles not
// alternating user/assistant after an optional system message; a system message for Mixtral) and for
// content that is not valid UTF-8.
std::string render_chat(ChatFormat format, const std::vector<ChatMessage>& messages, bool add_generation_prompt);

// Picks the format from a GGUF tokenizer.chat_template string or a model name/type ("llama", "mixtral",
// "vicuna"). Returns None when nothing matches.
ChatFormat detect_chat_format(const std::string& chat_template, const std::string& model_hint);

// Strings that end an assistant turn in that format ("<|im_end|>" for ChatML, "</s>" otherwise).
std::vector<std::string> chat_stop_strings(ChatFormat format);

ChatFormat parse_chat_format(const std::string& name);  // "chatml", "llama2", "vicuna", "mixtral", "none"; throws Error

}  // namespace eaglerun
