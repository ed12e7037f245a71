#include "core/weights/pickle_reader.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "core/error.h"
#include "core/weights/byte_reader.h"
#include "core/weights/display_name.h"

namespace eaglerun {
namespace {

constexpr std::size_t kMaxStack = 1u << 20;
constexpr uint64_t kMaxMemo = 1u << 24;
constexpr std::size_t kMaxMarks = 64;

PickleRef make(PickleValue::Kind kind) {
  auto v = std::make_shared<PickleValue>();
  v->kind = kind;
  return v;
}

class Unpickler {
 public:
  Unpickler(const std::byte* data, std::size_t size, const std::string& source) : r_(data, size, source) {
    r_.set_context("the pickle");
  }

  PickleRef run() {
    while (true) {
      op_pos_ = r_.pos();
      r_.set_context("the pickle opcode at byte " + std::to_string(op_pos_));
      const uint8_t op = r_.read<uint8_t>();
      if (op == '.') break;  // STOP
      step(op);
    }
    if (stack_.size() != 1 || !marks_.empty()) fail("STOP with " + std::to_string(stack_.size()) + " values on the stack");
    if (r_.remaining() != 0) fail(std::to_string(r_.remaining()) + " bytes after STOP");
    return stack_.back();
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    r_.fail("data.pkl: " + message + " (at byte " + std::to_string(op_pos_) + ")");
  }

  void push(PickleRef v) {
    if (stack_.size() >= kMaxStack) fail("the pickle stack exceeds " + std::to_string(kMaxStack) + " values");
    stack_.push_back(std::move(v));
  }
  PickleRef pop() {
    const std::size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() <= floor) fail("stack underflow");
    PickleRef v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PickleRef& top() {
    const std::size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() <= floor) fail("stack underflow");
    return stack_.back();
  }
  // The values above the last MARK, which is removed.
  std::vector<PickleRef> pop_to_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const std::size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PickleRef> out(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(m)),
                               std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return out;
  }

  // A value placed inside a container: frozen if a Dict, its depth bounds the container's.
  int adopt(const PickleRef& child) {
    child->frozen = true;
    if (child->depth + 1 > kMaxPickleDepth) fail("values nested deeper than " + std::to_string(kMaxPickleDepth));
    return child->depth + 1;
  }

  PickleRef tuple(std::vector<PickleRef> items) {
    PickleRef t = make(PickleValue::Kind::Tuple);
    for (const PickleRef& x : items) t->depth = std::max(t->depth, adopt(x));
    t->items = std::move(items);
    return t;
  }

  void set_item(PickleValue& dict, const PickleRef& key, const PickleRef& value) {
    if (dict.kind != PickleValue::Kind::Dict) fail("SETITEM on a " + std::string(dict.kind_name()) + ", not a dict");
    if (dict.frozen) fail("SETITEM on a dict that is already inside another value");
    if (key->kind != PickleValue::Kind::String) fail("a dict key is a " + std::string(key->kind_name()) + ", not a string");
    for (const auto& [k, v] : dict.entries) {
      if (k == key->text) fail("duplicate dict key " + quote_name(key->text));
    }
    if (value.get() == &dict) fail("a dict contains itself");
    dict.depth = std::max(dict.depth, adopt(value));
    dict.entries.emplace_back(key->text, value);
  }

  std::string line() {
    const std::size_t start = r_.pos();
    while (true) {
      const char c = static_cast<char>(r_.read<uint8_t>());
      if (c == '\n') break;
      if (r_.pos() - start > 256) fail("GLOBAL name longer than 256 bytes");
    }
    return {reinterpret_cast<const char*>(r_.here()) - (r_.pos() - start), r_.pos() - start - 1};
  }

  PickleRef global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    PickleRef g = make(PickleValue::Kind::Global);
    g->text = full;
    if (full == "collections.OrderedDict" || full == "torch._utils._rebuild_tensor_v2") return g;
    if (module == "torch" && (name == "FloatStorage" || name == "HalfStorage" || name == "BFloat16Storage")) {
      g->kind = PickleValue::Kind::StorageType;
      g->dtype = name == "FloatStorage" ? DType::F32 : name == "HalfStorage" ? DType::F16 : DType::BF16;
      return g;
    }
    if (module == "torch" && name.size() > 7 && name.ends_with("Storage")) {
      fail("unsupported storage type " + quote_name(full) + " (supported: FloatStorage, HalfStorage, BFloat16Storage)");
    }
    fail("refusing global " + quote_name(full) +
         " (allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.FloatStorage, "
         "torch.HalfStorage, torch.BFloat16Storage)");
  }

  int64_t nonnegative(const PickleRef& v, const char* what) const {
    if (v->kind != PickleValue::Kind::Int || v->integer < 0) fail(std::string(what) + " is not a non-negative integer");
    return v->integer;
  }

  std::vector<int64_t> int_tuple(const PickleRef& v, const char* what) const {
    if (v->kind != PickleValue::Kind::Tuple || v->items.size() > 8) fail(std::string(what) + " is not a tuple of at most 8 integers");
    std::vector<int64_t> out;
    for (const PickleRef& x : v->items) out.push_back(nonnegative(x, what));
    return out;
  }

  // ('storage', <storage type>, key, location, numel)
  PickleRef persistent_load(const PickleRef& pid) {
    const auto& it = pid->items;
    if (pid->kind != PickleValue::Kind::Tuple || it.size() != 5 || it[0]->kind != PickleValue::Kind::String ||
        it[0]->text != "storage") {
      fail("a persistent id that is not ('storage', type, key, location, numel)");
    }
    if (it[1]->kind != PickleValue::Kind::StorageType) fail("a persistent id whose storage type is a " + std::string(it[1]->kind_name()));
    if (it[2]->kind != PickleValue::Kind::String || it[3]->kind != PickleValue::Kind::String) {
      fail("a persistent id whose key or location is not a string");
    }
    PickleRef s = make(PickleValue::Kind::Storage);
    s->storage = {it[1]->dtype, it[2]->text, it[3]->text, nonnegative(it[4], "a storage's element count")};
    return s;
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  PickleRef rebuild_tensor(const PickleRef& args) {
    const auto& a = args->items;
    if (a.size() != 6 && a.size() != 7) fail("_rebuild_tensor_v2 with " + std::to_string(a.size()) + " arguments (expected 6)");
    if (a[0]->kind != PickleValue::Kind::Storage) fail("_rebuild_tensor_v2 of a " + std::string(a[0]->kind_name()) + ", not a storage");
    PickleRef t = make(PickleValue::Kind::Tensor);
    t->tensor.storage = a[0]->storage;
    t->tensor.offset = nonnegative(a[1], "a tensor's storage offset");
    t->tensor.size = int_tuple(a[2], "a tensor's size");
    t->tensor.stride = int_tuple(a[3], "a tensor's stride");
    if (t->tensor.size.size() != t->tensor.stride.size()) fail("a tensor's size and stride differ in length");
    if (a[4]->kind != PickleValue::Kind::Bool) fail("a tensor's requires_grad is not a bool");
    t->tensor.requires_grad = a[4]->integer != 0;
    if (a[5]->kind != PickleValue::Kind::Dict || !a[5]->entries.empty()) fail("a tensor with backward hooks");
    if (a.size() == 7 && a[6]->kind != PickleValue::Kind::None &&
        !(a[6]->kind == PickleValue::Kind::Dict && a[6]->entries.empty())) {
      fail("a tensor with metadata");
    }
    return t;
  }

  PickleRef reduce(const PickleRef& callable, const PickleRef& args) {
    if (args->kind != PickleValue::Kind::Tuple) fail("REDUCE arguments are not a tuple");
    if (callable->kind == PickleValue::Kind::Global && callable->text == "collections.OrderedDict") {
      if (!args->items.empty()) fail("OrderedDict called with arguments");
      return make(PickleValue::Kind::Dict);
    }
    if (callable->kind == PickleValue::Kind::Global && callable->text == "torch._utils._rebuild_tensor_v2") {
      return rebuild_tensor(args);
    }
    fail("REDUCE of a " + std::string(callable->kind_name()) + (callable->text.empty() ? "" : " " + quote_name(callable->text)));
  }

  void put(uint64_t index) {
    if (index >= kMaxMemo) fail("memo index " + std::to_string(index) + " out of range");
    memo_[static_cast<uint32_t>(index)] = top();
  }
  void get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never stored");
    push(it->second);
  }

  PickleRef integer(int64_t v) {
    PickleRef x = make(PickleValue::Kind::Int);
    x->integer = v;
    return x;
  }

  void step(uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        const uint8_t proto = r_.read<uint8_t>();
        if (op_pos_ != 0 || proto < 2 || proto > 5) fail("unsupported pickle protocol " + std::to_string(proto));
        return;
      }
      case '(': {  // MARK
        if (marks_.size() >= kMaxMarks) fail("MARKs nested deeper than " + std::to_string(kMaxMarks));
        marks_.push_back(stack_.size());
        return;
      }
      case 'c': {  // GLOBAL
        const std::string module = line();
        const std::string name = line();
        push(global(module, name));
        return;
      }
      case 'R': {  // REDUCE
        PickleRef args = pop();
        PickleRef callable = pop();
        push(reduce(callable, args));
        return;
      }
      case 'b': {  // BUILD
        PickleRef state = pop();
        PickleRef& obj = top();
        if (obj->kind != PickleValue::Kind::Dict || state->kind != PickleValue::Kind::Dict) {
          fail("BUILD of a " + std::string(obj->kind_name()) + " with a " + state->kind_name() + " state");
        }
        adopt(state);  // the state (e.g. _metadata) is checked for depth, then dropped
        return;
      }
      case 'Q': {  // BINPERSID
        PickleRef pid = pop();
        push(persistent_load(pid));
        return;
      }
      case 'N': push(make(PickleValue::Kind::None)); return;
      case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
        PickleRef b = make(PickleValue::Kind::Bool);
        b->integer = op == 0x88;
        push(b);
        return;
      }
      case 'J': push(integer(r_.read<int32_t>())); return;   // BININT
      case 'K': push(integer(r_.read<uint8_t>())); return;   // BININT1
      case 'M': push(integer(r_.read<uint16_t>())); return;  // BININT2
      case 0x8a: {  // LONG1: n-byte two's complement, little-endian
        const uint8_t n = r_.read<uint8_t>();
        if (n > 8) fail("an integer of " + std::to_string(n) + " bytes (at most 8 supported)");
        const std::byte* p = r_.take(n);
        uint64_t u = 0;
        for (int i = 0; i < n; ++i) u |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
        if (n > 0 && n < 8 && (static_cast<uint8_t>(p[n - 1]) & 0x80)) u |= ~uint64_t{0} << (8 * n);
        push(integer(static_cast<int64_t>(u)));
        return;
      }
      case 'X': {  // BINUNICODE
        const uint32_t n = r_.u32();
        const std::byte* p = r_.take(n);
        PickleRef s = make(PickleValue::Kind::String);
        s->text.assign(reinterpret_cast<const char*>(p), n);
        push(s);
        return;
      }
      case ')': push(tuple({})); return;  // EMPTY_TUPLE
      case 't': push(tuple(pop_to_mark())); return;  // TUPLE
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        std::vector<PickleRef> items(static_cast<std::size_t>(op - 0x84));
        for (std::size_t i = items.size(); i-- > 0;) items[i] = pop();
        push(tuple(std::move(items)));
        return;
      }
      case '}': push(make(PickleValue::Kind::Dict)); return;  // EMPTY_DICT
      case 's': {  // SETITEM
        PickleRef value = pop();
        PickleRef key = pop();
        set_item(*top(), key, value);
        return;
      }
      case 'u': {  // SETITEMS
        std::vector<PickleRef> kv = pop_to_mark();
        if (kv.size() % 2) fail("SETITEMS with an odd number of values");
        PickleRef& dict = top();
        for (std::size_t i = 0; i < kv.size(); i += 2) set_item(*dict, kv[i], kv[i + 1]);
        return;
      }
      case 'q': put(r_.read<uint8_t>()); return;   // BINPUT
      case 'r': put(r_.u32()); return;             // LONG_BINPUT
      case 'h': get(r_.read<uint8_t>()); return;   // BINGET
      case 'j': get(r_.u32()); return;             // LONG_BINGET
      default: {
        const char c = static_cast<char>(op);
        const std::string shown = (op >= 0x20 && op < 0x7f) ? std::string("'") + c + "'" : "";
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail("unsupported pickle opcode " + std::string(hex) + (shown.empty() ? "" : " " + shown) +
             " (a torch.save state dict of tensors uses protocol 2 and a few opcodes only)");
      }
    }
  }

  ByteReader r_;
  std::size_t op_pos_ = 0;
  std::vector<PickleRef> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<uint32_t, PickleRef> memo_;
};

}  // namespace

const char* PickleValue::kind_name() const {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::String: return "str";
    case Kind::Tuple: return "tuple";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::StorageType: return "storage type";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "value";
}

PickleRef read_pickle(const std::byte* data, std::size_t size, const std::string& source) {
  return Unpickler(data, size, source).run();
}

}  // namespace eaglerun
