#include "core/runtime/engine.h"

#include "core/backend/device.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "core/weights/gguf_file.h"
#include "core/weights/open_model.h"

#ifndef EAGLERUN_SOURCE_DIR
#define EAGLERUN_SOURCE_DIR "."
#endif

namespace eaglerun {
namespace {

constexpr const char* kDefaultModelFile = "models/SmolLM2-135M-Instruct.Q4_1.gguf";

ChatFormat pick_chat_format(const std::string& requested, const WeightStore& store) {
  if (requested != "auto") return parse_chat_format(requested);
  std::string chat_template;
  if (const auto* gguf = dynamic_cast<const GgufFile*>(&store); gguf && gguf->has("tokenizer.chat_template")) {
    chat_template = gguf->get_string("tokenizer.chat_template");
  }
  const ModelConfig& c = store.config();
  const std::string hint = c.arch == Architecture::Mixtral ? "mixtral" : c.name;
  return detect_chat_format(chat_template, hint);
}

}  // namespace

std::string default_model_path() {
  if (const char* env = std::getenv("EAGLERUN_MODEL"); env && *env) return env;
  return source_path(kDefaultModelFile);
}

std::string source_path(const std::string& relative) {
  if (std::filesystem::exists(relative)) return relative;
  return std::string(EAGLERUN_SOURCE_DIR) + "/" + relative;
}

Engine::Engine(const EngineOptions& options) {
  require(options.threads >= 1 && options.threads <= 256, "--threads must be between 1 and 256");
  pool_ = std::make_unique<ThreadPool>(options.threads);
  // The device first: an unusable GPU is reported before a model is read.
  std::shared_ptr<Backend> backend = make_backend(parse_device(options.device), *pool_, options.precision);
  store_ = open_model(options.model_path);
  model_ = std::make_unique<Model>(store_, ModelWeights::load(*store_), ModelShard::whole(store_->config()),
                                   std::move(backend), *pool_, options.precision);
  const std::string& tokenizer_path = options.tokenizer_path.empty() ? options.model_path : options.tokenizer_path;
  tokenizer_ = load_tokenizer(tokenizer_path);
  require(tokenizer_->vocab_size() <= model_->config().vocab_size,
          "tokenizer has " + std::to_string(tokenizer_->vocab_size()) + " tokens but the model only " +
              std::to_string(model_->config().vocab_size));
  chat_format_ = pick_chat_format(options.chat_format, *store_);
}

std::vector<int32_t> Engine::encode_prompt(const std::string& user_message, bool raw) const {
  if (raw || chat_format_ == ChatFormat::None) return tokenizer_->encode(user_message);
  return tokenizer_->encode(render_chat(chat_format_, {{"user", user_message}}, true));
}

std::vector<int32_t> Engine::encode_conversation(const std::vector<ChatMessage>& messages) const {
  return tokenizer_->encode(render_chat(chat_format_, messages, chat_format_ != ChatFormat::None));
}

std::vector<int32_t> Engine::stop_tokens(bool raw) const {
  std::vector<int32_t> stops;
  if (tokenizer_->eos_id() >= 0) stops.push_back(tokenizer_->eos_id());
  if (raw) return stops;
  for (const std::string& s : chat_stop_strings(chat_format_)) {
    const std::vector<int32_t> ids = tokenizer_->encode(s);
    if (ids.size() == 1 && std::find(stops.begin(), stops.end(), ids[0]) == stops.end()) stops.push_back(ids[0]);
  }
  return stops;
}

}  // namespace eaglerun
