#pragma once
// A small GGUF writer for tests: builds valid tiny files that the tests then corrupt field by field.
// Layout: magic, version, tensor count, kv count, kvs, tensor infos, padding, tensor data.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "tests/weights/test_util.h"

namespace eaglerun::test {

// Little-endian serialisation into a byte vector.
struct ByteSink {
  Bytes out;
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
  }
  void put_str(const std::string& s) {
    put<uint64_t>(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
};

// GGUF metadata type ids.
enum : uint32_t { kU8 = 0, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kString, kArray, kU64, kI64, kF64 };
// GGML tensor type ids.
enum : uint32_t { kGgmlF32 = 0, kGgmlF16 = 1, kGgmlQ4_0 = 2, kGgmlQ4_1 = 3, kGgmlQ8_0 = 8, kGgmlBF16 = 30 };

class GgufWriter {
 public:
  std::string magic = "GGUF";
  uint32_t version = 3;
  uint64_t alignment = 32;                     // layout only; add "general.alignment" yourself to declare it
  std::optional<uint64_t> tensor_count_field;  // override the written counts
  std::optional<uint64_t> kv_count_field;
  std::optional<uint64_t> data_bytes;          // override the data section size (default: to the last tensor's end)

  // A key with a type id and the already-encoded value bytes.
  void kv_raw(const std::string& key, uint32_t type, const Bytes& value) { kvs_.push_back({key, type, value}); }
  template <typename T>
  void kv(const std::string& key, uint32_t type, T v) {
    ByteSink s;
    s.put(v);
    kv_raw(key, type, s.out);
  }
  void kv_string(const std::string& key, const std::string& v) {
    ByteSink s;
    s.put_str(v);
    kv_raw(key, kString, s.out);
  }
  void kv_string_array(const std::string& key, const std::vector<std::string>& v) {
    ByteSink s;
    s.put<uint32_t>(kString);
    s.put<uint64_t>(v.size());
    for (const auto& x : v) s.put_str(x);
    kv_raw(key, kArray, s.out);
  }
  template <typename T>
  void kv_array(const std::string& key, uint32_t elem_type, const std::vector<T>& v) {
    ByteSink s;
    s.put<uint32_t>(elem_type);
    s.put<uint64_t>(v.size());
    for (const auto& x : v) s.put(x);
    kv_raw(key, kArray, s.out);
  }

  // dims innermost first (as GGUF stores them). offset: relative to the data section; by
  // default the next aligned free spot. nbytes: data size; by default computed from the type.
  void tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type,
              std::optional<uint64_t> offset = std::nullopt, std::optional<uint64_t> nbytes = std::nullopt) {
    tensors_.push_back({name, std::move(dims), type, offset, nbytes});
  }

  static uint64_t type_bytes(uint32_t type, uint64_t numel) {
    switch (type) {
      case kGgmlF32: return numel * 4;
      case kGgmlF16: case kGgmlBF16: return numel * 2;
      case kGgmlQ8_0: return numel / 32 * 34;
      case kGgmlQ4_0: return numel / 32 * 18;
      case kGgmlQ4_1: return numel / 32 * 20;
      default: return numel;
    }
  }

  Bytes bytes() const {
    ByteSink s;
    s.out.insert(s.out.end(), magic.begin(), magic.end());
    s.put<uint32_t>(version);
    s.put<uint64_t>(tensor_count_field.value_or(tensors_.size()));
    s.put<uint64_t>(kv_count_field.value_or(kvs_.size()));
    for (const Kv& k : kvs_) {
      s.put_str(k.key);
      s.put<uint32_t>(k.type);
      s.out.insert(s.out.end(), k.value.begin(), k.value.end());
    }
    std::vector<uint64_t> offsets, sizes;
    uint64_t next = 0;
    for (const Tensor& t : tensors_) {
      uint64_t numel = 1;
      for (uint64_t d : t.dims) numel *= d;
      sizes.push_back(t.nbytes.value_or(type_bytes(t.type, numel)));
      offsets.push_back(t.offset.value_or(next));
      next = align(offsets.back() + sizes.back());
      s.put_str(t.name);
      s.put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
      for (uint64_t d : t.dims) s.put<uint64_t>(d);
      s.put<uint32_t>(t.type);
      s.put<uint64_t>(offsets.back());
    }
    if (tensors_.empty()) return s.out;
    const uint64_t data_start = align(s.out.size());
    uint64_t end = 0;
    for (std::size_t i = 0; i < tensors_.size(); ++i) end = std::max(end, offsets[i] + sizes[i]);
    s.out.resize(data_start + data_bytes.value_or(end), 0);
    for (std::size_t i = 0; i < tensors_.size(); ++i) {  // a recognisable pattern per tensor, where it fits
      for (uint64_t b = 0; b < sizes[i] && offsets[i] + b < s.out.size() - data_start; ++b) {
        s.out[data_start + offsets[i] + b] = static_cast<uint8_t>(i + 1 + b);
      }
    }
    return s.out;
  }

  uint64_t align(uint64_t x) const { return (x + alignment - 1) / alignment * alignment; }

 private:
  struct Kv {
    std::string key;
    uint32_t type;
    Bytes value;
  };
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    uint32_t type;
    std::optional<uint64_t> offset, nbytes;
  };
  std::vector<Kv> kvs_;
  std::vector<Tensor> tensors_;
};

// A valid tiny LLaMA-style GGUF: 1 layer, hidden 64, FFN 128, 4/2 heads, vocab 8, one tensor of
// each loadable type. Tests add to or change it before calling bytes().
inline GgufWriter tiny_llama_writer() {
  GgufWriter w;
  w.kv_string("general.architecture", "llama");
  w.kv_string("general.name", "tiny");
  w.kv<uint32_t>("llama.block_count", kU32, 1);
  w.kv<uint32_t>("llama.context_length", kU32, 256);
  w.kv<uint64_t>("llama.embedding_length", kU64, 64);
  w.kv<int32_t>("llama.feed_forward_length", kI32, 128);
  w.kv<uint32_t>("llama.attention.head_count", kU32, 4);
  w.kv<uint32_t>("llama.attention.head_count_kv", kU32, 2);
  w.kv<float>("llama.attention.layer_norm_rms_epsilon", kF32, 1e-5f);
  w.kv<float>("llama.rope.freq_base", kF32, 50000.0f);
  w.kv_string_array("tokenizer.ggml.tokens", {"<s>", "</s>", "a", "b", "c", "d", "e", "f"});
  w.kv<uint32_t>("tokenizer.ggml.bos_token_id", kU32, 0);
  w.kv<uint32_t>("tokenizer.ggml.eos_token_id", kU32, 1);
  w.tensor("token_embd.weight", {64, 8}, kGgmlQ8_0);
  w.tensor("blk.0.attn_norm.weight", {64}, kGgmlF32);
  w.tensor("blk.0.ffn_down.weight", {128, 2}, kGgmlQ4_1);
  w.tensor("blk.0.attn_q.weight", {32, 2}, kGgmlQ4_0);
  w.tensor("blk.0.attn_k.weight", {8, 2}, kGgmlF16);
  w.tensor("blk.0.attn_v.weight", {8, 2}, kGgmlBF16);
  return w;
}

}  // namespace eaglerun::test
