#include "core/weights/gguf_writer.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/weights/atomic_file.h"
#include "core/weights/checked_math.h"

namespace eaglerun {
namespace {

class Sink {
 public:
  std::vector<std::byte> out;
  void bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    out.insert(out.end(), b, b + n);
  }
  template <typename T>
  void put(T v) {
    bytes(&v, sizeof v);
  }
  void str(std::string_view s) {
    put<uint64_t>(s.size());
    bytes(s.data(), s.size());
  }
};

void encode_value(Sink& s, const GgufValue& v) {
  s.put<uint32_t>(static_cast<uint32_t>(v.type));
  if (v.type == GgufType::String) {
    s.str(v.str());
  } else if (v.type == GgufType::Array) {
    const GgufArray& a = *v.array;
    s.put<uint32_t>(static_cast<uint32_t>(a.elem_type));
    s.put<uint64_t>(a.count);
    if (a.elem_type == GgufType::String) {
      for (std::string_view x : a.strings) s.str(x);
    } else if (a.elem_type == GgufType::Array) {
      for (const GgufValue& x : a.arrays) {
        Sink inner;
        encode_value(inner, x);
        s.bytes(inner.out.data() + 4, inner.out.size() - 4);  // elements carry no type id of their own
      }
    } else {
      s.bytes(a.raw, a.count * scalar_bytes(a.elem_type));
    }
  } else {
    s.bytes(v.raw, scalar_bytes(v.type));
  }
}

template <typename T>
std::vector<std::byte> scalar(GgufType t, T v) {
  Sink s;
  s.put<uint32_t>(static_cast<uint32_t>(t));
  s.put(v);
  return s.out;
}

}  // namespace

uint32_t ggml_type_id(DType t) {
  switch (t) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::Q4_0: return 2;
    case DType::Q4_1: return 3;
    case DType::Q8_0: return 8;
    case DType::BF16: return 30;
  }
  return 0;
}

uint32_t gguf_file_type(DType t) {
  switch (t) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::Q4_0: return 2;
    case DType::Q4_1: return 3;
    case DType::Q8_0: return 7;
    case DType::BF16: return 32;
  }
  return 0;
}

GgufWriter::GgufWriter(uint64_t alignment) : alignment_(alignment) {
  require(checked::is_power_of_two(alignment), "GGUF alignment " + std::to_string(alignment) + " is not a power of two");
  if (alignment != 32) set_u32("general.alignment", static_cast<uint32_t>(alignment));
}

void GgufWriter::put(const std::string& key, std::vector<std::byte> encoded) {
  for (Kv& kv : kvs_) {
    if (kv.key == key) {
      kv.encoded = std::move(encoded);
      return;
    }
  }
  kvs_.push_back({key, std::move(encoded)});
}

void GgufWriter::set(const std::string& key, const GgufValue& value) {
  Sink s;
  encode_value(s, value);
  put(key, std::move(s.out));
}
void GgufWriter::set_string(const std::string& key, const std::string& v) {
  Sink s;
  s.put<uint32_t>(static_cast<uint32_t>(GgufType::String));
  s.str(v);
  put(key, std::move(s.out));
}
void GgufWriter::set_u32(const std::string& key, uint32_t v) { put(key, scalar(GgufType::U32, v)); }
void GgufWriter::set_i32(const std::string& key, int32_t v) { put(key, scalar(GgufType::I32, v)); }
void GgufWriter::set_f32(const std::string& key, float v) { put(key, scalar(GgufType::F32, v)); }
void GgufWriter::set_bool(const std::string& key, bool v) { put(key, scalar(GgufType::Bool, uint8_t{v})); }

void GgufWriter::remove(const std::string& key) {
  kvs_.erase(std::remove_if(kvs_.begin(), kvs_.end(), [&](const Kv& kv) { return kv.key == key; }), kvs_.end());
}

bool GgufWriter::has(const std::string& key) const {
  return std::any_of(kvs_.begin(), kvs_.end(), [&](const Kv& kv) { return kv.key == key; });
}

void GgufWriter::add_tensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  tensors_.push_back({name, dtype, shape, storage_bytes(dtype, n)});
}

void GgufWriter::write(const std::string& path,
                       const std::function<void(std::size_t, std::vector<std::byte>&)>& produce) const {
  Sink h;
  h.bytes("GGUF", 4);
  h.put<uint32_t>(3);
  h.put<uint64_t>(tensors_.size());
  h.put<uint64_t>(kvs_.size());
  for (const Kv& kv : kvs_) {
    h.str(kv.key);
    h.bytes(kv.encoded.data(), kv.encoded.size());
  }
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    h.str(t.name);
    h.put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (std::size_t i = t.shape.size(); i-- > 0;) h.put<uint64_t>(static_cast<uint64_t>(t.shape[i]));
    h.put<uint32_t>(ggml_type_id(t.dtype));
    h.put<uint64_t>(offset);
    offset = *checked::align_up(offset + t.nbytes, alignment_);
  }
  const std::vector<std::byte> zeros(alignment_);
  AtomicFile out(path);
  out.write(h.out.data(), h.out.size());
  out.write(zeros.data(), *checked::align_up(h.out.size(), alignment_) - h.out.size());
  std::vector<std::byte> bytes;
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    bytes.assign(tensors_[i].nbytes, std::byte{0});
    produce(i, bytes);
    out.write(bytes.data(), bytes.size());
    if (i + 1 < tensors_.size()) out.write(zeros.data(), *checked::align_up(bytes.size(), alignment_) - bytes.size());
  }
  out.commit();
}

}  // namespace eaglerun
