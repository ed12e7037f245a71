#pragma once
// Everything needed to run one model in this process: the weights (memory-mapped), the model,
// its tokenizer and chat format, and the thread pool they run on.
#include <memory>
#include <string>
#include <vector>

#include "core/kernels/thread_pool.h"
#include "core/model/model.h"
#include "core/tokenizer/chat_template.h"
#include "core/tokenizer/tokenizer.h"

namespace eaglerun {

struct EngineOptions {
  std::string model_path;                  // .gguf file or Hugging Face checkpoint folder
  int threads = 2;                         // worker threads, the caller included
  Precision precision = Precision::Fast;   // Reference: fp32 ground truth; Fast: native quantised kernels
  std::string chat_format = "auto";        // auto | chatml | llama2 | vicuna | mixtral | none
  std::string tokenizer_path{};            // where the tokenizer is, when not with the model (a .gguf or a
                                           // folder with tokenizer.model); "" = the model's
  std::string device = "cpu";              // cpu | cuda | cuda:N (core/backend/device.h)
};

class Engine {
 public:
  // Throws Error with one clear message for a missing or malformed model, tokenizer or option.
  explicit Engine(const EngineOptions& options);

  const Model& model() const { return *model_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  ChatFormat chat_format() const { return chat_format_; }
  ThreadPool& pool() { return *pool_; }

  // Token ids of a user message: rendered with the chat template (unless `raw`) and encoded.
  std::vector<int32_t> encode_prompt(const std::string& user_message, bool raw) const;
  // Token ids of a conversation ending with a user message, rendered with the chat template and the
  // assistant's generation prompt (raw formats: the contents concatenated).
  std::vector<int32_t> encode_conversation(const std::vector<ChatMessage>& messages) const;
  // Token ids that end generation: EOS plus the chat format's end-of-turn token(s).
  std::vector<int32_t> stop_tokens(bool raw) const;

 private:
  std::unique_ptr<ThreadPool> pool_;
  std::shared_ptr<const WeightStore> store_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  ChatFormat chat_format_ = ChatFormat::None;
};

// The default model's path: $EAGLERUN_MODEL, else models/SmolLM2-135M-Instruct.Q4_1.gguf in the
// current folder or in the source tree this binary was built from.
std::string default_model_path();
// A file shipped with eaglerun (e.g. "data/eval/mt_bench/question.jsonl"): relative to the current
// folder when it exists there, else in the source tree this binary was built from.
std::string source_path(const std::string& relative);

}  // namespace eaglerun
