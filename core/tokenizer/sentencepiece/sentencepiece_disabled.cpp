// Stand-ins used when eaglerun is built with EAGLERUN_WITH_SENTENCEPIECE=OFF.
#include "core/error.h"
#include "core/tokenizer/sentencepiece_tokenizer.h"

namespace eaglerun {

std::unique_ptr<Tokenizer> tokenizer_from_sentencepiece_proto(const std::string&, const std::string& origin) {
  throw Error(origin + ": SentencePiece tokenizers need eaglerun built with EAGLERUN_WITH_SENTENCEPIECE=ON");
}

std::unique_ptr<Tokenizer> tokenizer_from_sentencepiece(const std::string& model_path) {
  throw Error(model_path + ": SentencePiece tokenizers need eaglerun built with EAGLERUN_WITH_SENTENCEPIECE=ON");
}

}  // namespace eaglerun
