// Malformed GGUF input: each field of a valid tiny file corrupted in turn, truncation at every
// byte, and random bit flips. Every case must throw eaglerun::Error naming what is wrong.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "core/weights/gguf_file.h"
#include "tests/weights/gguf_writer.h"

namespace eaglerun {
namespace {

using namespace eaglerun::test;

std::unique_ptr<GgufFile> parse_bad_gguf(const Bytes& b) { return GgufFile::parse(as_bytes(b), b.size(), "bad.gguf"); }

// A file with one tensor; an explicit offset leaves the data section at 64 bytes.
GgufWriter one_tensor(uint32_t type, std::vector<uint64_t> dims, std::optional<uint64_t> offset = std::nullopt) {
  GgufWriter w;
  w.tensor("blk.0.attn_q.weight", std::move(dims), type, offset);
  if (offset) w.data_bytes = 64;
  return w;
}

TEST(GgufMalformed, BadMagic) {
  GgufWriter w;
  w.magic = "GGML";
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf: not a GGUF file", "'GGML'");
}

TEST(GgufMalformed, UnsupportedVersions) {
  GgufWriter w;
  w.version = 1;
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf", "version 1");
  w.version = 99;
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf", "version 99");
  w.version = 0x03000000;
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "big-endian");
}

TEST(GgufMalformed, TruncatedAtEveryByte) {
  const Bytes b = tiny_llama_writer().bytes();
  ASSERT_NO_THROW(parse_bad_gguf(b));
  for (std::size_t n = 0; n < b.size(); ++n) {
    const Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string msg = error_of([&] { parse_bad_gguf(cut); });
    ASSERT_EQ(msg.rfind("bad.gguf: ", 0), 0u) << "cut at " << n << ": " << msg;
  }
}

TEST(GgufMalformed, TruncatedMessagesNameTheField) {
  GgufWriter w;
  w.kv_string("general.architecture", "llama");
  w.kv_string("general.name", "tiny");
  const Bytes b = w.bytes();
  // Cut inside the value of the second key ("general.name").
  const std::size_t first_kv = 24 + 8 + 20 + 4 + 8 + 5;
  const Bytes cut(b.begin(), b.begin() + first_kv + 8 + 12 + 4 + 3);
  EXPECT_ERROR(parse_bad_gguf(cut), "bad.gguf: truncated while reading metadata key 'general.name'");
  EXPECT_ERROR(parse_bad_gguf(Bytes(b.begin(), b.begin() + 6)), "truncated while reading the version");
}

TEST(GgufMalformed, HugeCounts) {
  GgufWriter w = tiny_llama_writer();
  w.tensor_count_field = 1ull << 60;
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf", "tensor count");
  w = tiny_llama_writer();
  w.kv_count_field = ~0ull;
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf", "metadata count");
  w = tiny_llama_writer();
  w.kv_count_field = 14;  // one more than written: the tensor infos are read as a key
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf");
}

TEST(GgufMalformed, HugeStringLength) {
  GgufWriter w;
  ByteSink s;
  s.put<uint64_t>(1ull << 62);
  s.out.insert(s.out.end(), {'a', 'b'});
  w.kv_raw("general.name", kString, s.out);
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf: truncated while reading metadata key 'general.name'");
}

TEST(GgufMalformed, HugeKeyLength) {
  Bytes b = GgufWriter().bytes();
  b[16] = 1;  // kv count 1
  ByteSink s;
  s.put<uint64_t>(~0ull);
  s.put<uint64_t>(0);
  b.insert(b.end(), s.out.begin(), s.out.end());
  EXPECT_ERROR(parse_bad_gguf(b), "bad.gguf: truncated while reading the key of metadata entry #0");
}

TEST(GgufMalformed, HugeArrayCount) {
  GgufWriter w;
  ByteSink s;
  s.put<uint32_t>(kU64);
  s.put<uint64_t>(1ull << 61);
  s.put<uint64_t>(7);
  w.kv_raw("tokenizer.ggml.scores", kArray, s.out);
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf: metadata key 'tokenizer.ggml.scores'", "does not fit");
  ByteSink strs;
  strs.put<uint32_t>(kString);
  strs.put<uint64_t>(1ull << 40);
  GgufWriter w2;
  w2.kv_raw("tokenizer.ggml.tokens", kArray, strs.out);
  EXPECT_ERROR(parse_bad_gguf(w2.bytes()), "'tokenizer.ggml.tokens'", "does not fit");
}

TEST(GgufMalformed, BadValueTypes) {
  GgufWriter w;
  w.kv<uint32_t>("k.unknown_type", 13, 0);
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "'k.unknown_type'", "unknown metadata value type 13");
  GgufWriter b;
  b.kv<uint8_t>("k.bool", kBool, 2);
  EXPECT_ERROR(parse_bad_gguf(b.bytes()), "'k.bool'", "bool value 2");
  GgufWriter a;
  a.kv_array<uint8_t>("k.bools", kBool, {0, 1, 5});
  EXPECT_ERROR(parse_bad_gguf(a.bytes()), "'k.bools'", "bool value 5");
  GgufWriter e;
  ByteSink s;
  s.put<uint32_t>(77);
  s.put<uint64_t>(0);
  e.kv_raw("k.arr", kArray, s.out);
  EXPECT_ERROR(parse_bad_gguf(e.bytes()), "'k.arr'", "unknown metadata value type 77");
}

TEST(GgufMalformed, ArraysNestedTooDeep) {
  ByteSink s;
  for (int i = 0; i < 20; ++i) {
    s.put<uint32_t>(kArray);
    s.put<uint64_t>(1);
  }
  s.put<uint32_t>(kU8);
  s.put<uint64_t>(0);
  GgufWriter w;
  w.kv_raw("k.deep", kArray, s.out);
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "'k.deep'", "nested");
}

TEST(GgufMalformed, DuplicateKey) {
  GgufWriter w;
  w.kv_string("general.name", "a");
  w.kv_string("general.name", "b");
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf: duplicate metadata key 'general.name'");
}

TEST(GgufMalformed, BadAlignment) {
  for (uint32_t a : {0u, 3u, 48u}) {
    GgufWriter w = one_tensor(kGgmlF32, {8});
    w.kv<uint32_t>("general.alignment", kU32, a);
    EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf", "general.alignment", "power of two");
  }
  GgufWriter s = one_tensor(kGgmlF32, {8});
  s.kv_string("general.alignment", "32");
  EXPECT_ERROR(parse_bad_gguf(s.bytes()), "general.alignment");
  GgufWriter n = one_tensor(kGgmlF32, {8});
  n.kv<int64_t>("general.alignment", kI64, std::numeric_limits<int64_t>::min());
  EXPECT_ERROR(parse_bad_gguf(n.bytes()), "general.alignment");
}

TEST(GgufMalformed, TensorOffsetOutOfRange) {
  EXPECT_ERROR(parse_bad_gguf(one_tensor(kGgmlF32, {8}, 1 << 20).bytes()),
               "bad.gguf: tensor 'blk.0.attn_q.weight' data [", "is outside the file (size");
  EXPECT_ERROR(parse_bad_gguf(one_tensor(kGgmlF32, {8}, ~0ull & ~31ull).bytes()), "'blk.0.attn_q.weight'", "outside the file");
  GgufWriter w;
  w.tensor("t", {8}, kGgmlF32, std::nullopt, 16);  // data shorter than the tensor
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "'t'", "outside the file");
}

TEST(GgufMalformed, TensorOffsetMisaligned) {
  EXPECT_ERROR(parse_bad_gguf(one_tensor(kGgmlF32, {8}, 4).bytes()), "'blk.0.attn_q.weight'", "offset 4",
               "not a multiple of the alignment 32");
}

TEST(GgufMalformed, OverlappingTensors) {
  GgufWriter w;
  w.tensor("first", {64}, kGgmlF32, 0);
  w.tensor("second", {8}, kGgmlF32, 224);
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf: tensors 'first' [", "'second'", "overlap");
}

TEST(GgufMalformed, UnsupportedType) {
  EXPECT_ERROR(parse_bad_gguf(one_tensor(12, {256}).bytes()),
               "bad.gguf: tensor 'blk.0.attn_q.weight' has unsupported type 12 (q4_K)");
  EXPECT_ERROR(parse_bad_gguf(one_tensor(1000, {256}).bytes()), "unsupported type 1000 (unknown)");
}

TEST(GgufMalformed, DuplicateTensorName) {
  GgufWriter w;
  w.tensor("dup", {8}, kGgmlF32);
  w.tensor("dup", {8}, kGgmlF32);
  EXPECT_ERROR(parse_bad_gguf(w.bytes()), "bad.gguf: duplicate tensor name 'dup'");
}

TEST(GgufMalformed, BadDims) {
  EXPECT_ERROR(parse_bad_gguf(one_tensor(kGgmlQ4_1, {48, 2}).bytes()), "'blk.0.attn_q.weight'", "48",
               "not a multiple of the q4_1 block size 32");
  EXPECT_ERROR(parse_bad_gguf(one_tensor(kGgmlF32, {}).bytes()), "'blk.0.attn_q.weight'", "0 dims");
  EXPECT_ERROR(parse_bad_gguf(one_tensor(kGgmlF32, {1, 1, 1, 1, 1}).bytes()), "'blk.0.attn_q.weight'", "5 dims");
  EXPECT_ERROR(parse_bad_gguf(one_tensor(kGgmlF32, {8, 0}).bytes()), "'blk.0.attn_q.weight'", "invalid dimension 0");
  EXPECT_ERROR(parse_bad_gguf(one_tensor(kGgmlF32, {1ull << 32, 1ull << 32}, 0).bytes()), "'blk.0.attn_q.weight'", "too many");
  EXPECT_ERROR(parse_bad_gguf(one_tensor(kGgmlF32, {~0ull}, 0).bytes()), "'blk.0.attn_q.weight'", "invalid dimension");
  EXPECT_ERROR(parse_bad_gguf(one_tensor(kGgmlF32, {1ull << 62}, 0).bytes()), "'blk.0.attn_q.weight'");
}

TEST(GgufMalformed, BadTensorNames) {
  GgufWriter e;
  e.tensor("", {8}, kGgmlF32);
  EXPECT_ERROR(parse_bad_gguf(e.bytes()), "bad.gguf", "empty name");
  GgufWriter l;
  l.tensor(std::string(65, 'x'), {8}, kGgmlF32);
  EXPECT_ERROR(parse_bad_gguf(l.bytes()), "bad.gguf", "longer than 64 bytes");
  GgufWriter c;
  c.tensor("bad\nname", {8}, kGgmlF32, 4);
  EXPECT_ERROR(parse_bad_gguf(c.bytes()), "'bad\\x0aname'");
}

// Flipping random bits of a valid file must give either a file that opens or an Error: never a
// crash, a sanitizer report or another exception type.
TEST(GgufMalformed, RandomBitFlips) {
  const Bytes good = tiny_llama_writer().bytes();
  std::mt19937 rng(1234);
  int opened = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    Bytes b = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    try {
      const auto f = parse_bad_gguf(b);
      ++opened;
      for (const auto& name : f->names()) {
        const TensorView& t = f->get(name);
        ASSERT_LE(t.data + t.nbytes, as_bytes(b) + b.size());
      }
      for (const auto& key : f->metadata_keys()) (void)f->has(key);
      try {
        (void)f->config();
      } catch (const Error&) {
      }
    } catch (const Error&) {
    } catch (const std::exception& e) {
      FAIL() << "iteration " << iter << ": non-Error exception " << e.what();
    }
  }
  EXPECT_GT(opened, 0);
}

}  // namespace
}  // namespace eaglerun
