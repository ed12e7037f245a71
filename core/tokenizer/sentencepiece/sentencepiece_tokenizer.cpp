#include "core/tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/tokenizer/special_tokens.h"
#include "core/tokenizer/utf8.h"

namespace eaglerun {
namespace {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::string& serialized, const std::string& origin) {
    const sentencepiece::util::Status status = sp_.LoadFromSerializedProto(serialized);
    require(status.ok(), origin + ": not a usable SentencePiece model: " + status.ToString());
    const int n = sp_.GetPieceSize();
    special_.assign(n, false);
    for (int id = 0; id < n; ++id) {
      if (!sp_.IsControl(id) && !sp_.IsUnknown(id)) continue;
      special_[id] = true;
      specials_.add(sp_.IdToPiece(id), id);
    }
  }

  std::vector<int32_t> encode(std::string_view text) const override {
    require(is_valid_utf8(text), "cannot tokenize text that is not valid UTF-8");
    std::vector<int32_t> ids;
    std::vector<int> piece_ids;
    for (const SpecialTokenMatcher::Segment& seg : specials_.split(text)) {
      if (seg.id >= 0) {
        ids.push_back(seg.id);
        continue;
      }
      const sentencepiece::util::Status status = sp_.Encode(seg.text, &piece_ids);
      require(status.ok(), "SentencePiece encode failed: " + status.ToString());
      ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
    }
    return ids;
  }

  std::string decode(std::span<const int32_t> ids) const override {
    std::string out;
    std::vector<int> run;
    for (int32_t id : ids) {
      require(id >= 0 && id < vocab_size(), "cannot decode token id " + std::to_string(id) +
                                                " (vocabulary has " + std::to_string(vocab_size()) + " tokens)");
      if (!special_[id]) {
        run.push_back(id);
        continue;
      }
      flush(run, out);
      out += sp_.IdToPiece(id);
    }
    flush(run, out);
    return out;
  }

  int32_t vocab_size() const override { return sp_.GetPieceSize(); }
  int32_t bos_id() const override { return sp_.bos_id(); }
  int32_t eos_id() const override { return sp_.eos_id(); }

  std::string token_text(int32_t id) const override {
    require(id >= 0 && id < vocab_size(), "token id " + std::to_string(id) + " is outside the vocabulary");
    return sp_.IdToPiece(id);
  }

 private:
  // Decodes a run of ordinary ids and appends the text; empties run.
  void flush(std::vector<int>& run, std::string& out) const {
    if (run.empty()) return;
    std::string text;
    const sentencepiece::util::Status status = sp_.Decode(run, &text);
    require(status.ok(), "SentencePiece decode failed: " + status.ToString());
    out += text;
    run.clear();
  }

  sentencepiece::SentencePieceProcessor sp_;
  std::vector<bool> special_;  // control and unknown pieces
  SpecialTokenMatcher specials_;
};

}  // namespace

std::unique_ptr<Tokenizer> tokenizer_from_sentencepiece_proto(const std::string& serialized,
                                                              const std::string& origin) {
  return std::make_unique<SentencePieceTokenizer>(serialized, origin);
}

std::unique_ptr<Tokenizer> tokenizer_from_sentencepiece(const std::string& model_path) {
  std::ifstream in(model_path, std::ios::binary);
  require(in.good(), model_path + ": cannot open SentencePiece model");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  require(!in.bad(), model_path + ": read error");
  return tokenizer_from_sentencepiece_proto(bytes.str(), model_path);
}

}  // namespace eaglerun
