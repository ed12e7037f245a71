#include "core/tokenizer/spm_model_proto.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace eaglerun {
namespace {

// Protobuf wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kFixed32 = 5;

// Field numbers from sentencepiece_model.proto.
constexpr uint32_t kModelPieces = 1, kModelTrainerSpec = 2, kModelNormalizerSpec = 3;
constexpr uint32_t kPieceText = 1, kPieceScore = 2, kPieceType = 3;
constexpr uint32_t kTrainerModelType = 3, kTrainerVocabSize = 4, kTrainerByteFallback = 35;
constexpr uint32_t kTrainerUnkPiece = 45, kTrainerBosPiece = 46, kTrainerEosPiece = 47;
constexpr uint32_t kNormName = 1, kNormAddDummyPrefix = 3, kNormRemoveExtraWhitespaces = 4;
constexpr uint32_t kNormEscapeWhitespaces = 5;
constexpr uint64_t kModelTypeBpe = 2;
constexpr int32_t kTypeUnknown = 2, kTypeByte = 6;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_tag(std::string& out, uint32_t field, uint32_t wire_type) { put_varint(out, (field << 3) | wire_type); }

void put_uint(std::string& out, uint32_t field, uint64_t v) {
  put_tag(out, field, kVarint);
  put_varint(out, v);
}

void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_tag(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

void put_float(std::string& out, uint32_t field, float v) {
  put_tag(out, field, kFixed32);
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));  // little-endian
}

std::string piece_message(const std::string& text, float score, int32_t type) {
  std::string m;
  put_bytes(m, kPieceText, text);
  put_float(m, kPieceScore, score);
  put_uint(m, kPieceType, static_cast<uint64_t>(type));
  return m;
}

std::string trainer_spec(const SpmVocab& v) {
  std::string m;
  put_uint(m, kTrainerModelType, kModelTypeBpe);
  put_uint(m, kTrainerVocabSize, v.pieces.size());
  const bool byte_fallback = std::find(v.types.begin(), v.types.end(), kTypeByte) != v.types.end();
  put_uint(m, kTrainerByteFallback, byte_fallback ? 1 : 0);
  const auto unk = std::find(v.types.begin(), v.types.end(), kTypeUnknown);
  if (unk != v.types.end()) put_bytes(m, kTrainerUnkPiece, v.pieces[unk - v.types.begin()]);
  if (v.bos_id >= 0) put_bytes(m, kTrainerBosPiece, v.pieces[v.bos_id]);
  if (v.eos_id >= 0) put_bytes(m, kTrainerEosPiece, v.pieces[v.eos_id]);
  return m;
}

std::string normalizer_spec(const SpmVocab& v) {
  std::string m;
  put_bytes(m, kNormName, "identity");
  put_uint(m, kNormAddDummyPrefix, v.add_dummy_prefix ? 1 : 0);
  put_uint(m, kNormRemoveExtraWhitespaces, v.remove_extra_whitespaces ? 1 : 0);
  put_uint(m, kNormEscapeWhitespaces, 1);
  return m;
}

}  // namespace

std::string serialize_spm_model(const SpmVocab& v) {
  const size_t n = v.pieces.size();
  require(n > 0, "SentencePiece vocabulary is empty");
  require(v.scores.size() == n && v.types.size() == n,
          "SentencePiece vocabulary has " + std::to_string(n) + " pieces, " + std::to_string(v.scores.size()) +
              " scores and " + std::to_string(v.types.size()) + " token types");
  for (int32_t id : {v.bos_id, v.eos_id}) {
    require(id >= -1 && id < static_cast<int64_t>(n), "special token id " + std::to_string(id) +
                                                          " is outside the vocabulary of " + std::to_string(n));
  }
  std::string out;
  for (size_t i = 0; i < n; ++i) put_bytes(out, kModelPieces, piece_message(v.pieces[i], v.scores[i], v.types[i]));
  put_bytes(out, kModelTrainerSpec, trainer_spec(v));
  put_bytes(out, kModelNormalizerSpec, normalizer_spec(v));
  return out;
}

}  // namespace eaglerun
