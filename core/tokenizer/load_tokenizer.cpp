// load_tokenizer: the tokenizer for a model path as open_model() accepts it.
//   *.gguf                    -> the GGUF's own tokenizer (tokenizer.ggml.*)
//   a directory               -> DIR/tokenizer.model (SentencePiece)
//   *.safetensors             -> tokenizer.model beside it
#include <filesystem>

#include "core/error.h"
#include "core/tokenizer/tokenizer.h"
#include "core/weights/gguf_file.h"

namespace eaglerun {

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_path) {
  namespace fs = std::filesystem;
  const fs::path path(model_path);
  std::error_code ec;
  require(fs::exists(path, ec), model_path + ": no such file or directory");
  if (fs::is_regular_file(path, ec) && path.extension() == ".gguf") {
    return tokenizer_from_gguf(*GgufFile::open(model_path));
  }
  const fs::path dir = fs::is_directory(path, ec) ? path : path.parent_path();
  const fs::path spm = dir / "tokenizer.model";
  if (fs::is_regular_file(spm, ec)) return tokenizer_from_sentencepiece(spm.string());
  const std::string hint = fs::exists(dir / "tokenizer.json", ec) ? " (tokenizer.json alone is not supported)" : "";
  throw Error(model_path + ": no tokenizer found: expected a .gguf file or " + spm.string() + hint);
}

}  // namespace eaglerun
