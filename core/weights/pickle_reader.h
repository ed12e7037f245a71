#pragma once
// A restricted unpickler for the data.pkl of a torch.save state dict (pickle protocol 2). It
// executes nothing: the few globals such a file names are recognised by name and turned into
// values, and any other global or opcode is refused with one Error line.
//   globals:  collections.OrderedDict                  -> an empty Dict (REDUCE with no arguments)
//             torch._utils._rebuild_tensor_v2          -> a Tensor (REDUCE with its 6 arguments)
//             torch.FloatStorage / HalfStorage / BFloat16Storage -> a storage type (F32, F16, BF16)
//   persistent ids: ('storage', <storage type>, key, location, numel) -> a Storage
//   opcodes:  PROTO STOP MARK GLOBAL REDUCE BUILD BINPERSID NONE NEWTRUE NEWFALSE BININT BININT1
//             BININT2 LONG1 BINUNICODE EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 EMPTY_DICT SETITEM
//             SETITEMS BINPUT LONG_BINPUT BINGET LONG_BINGET
// BUILD is accepted on a Dict only (the _metadata a module's state_dict() carries) and its state is
// dropped. Dict keys must be strings and unique. A dict placed inside another value is frozen
// (later SETITEMs on it are refused), which keeps values acyclic; nesting is at most kMaxDepth.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor/dtype.h"

namespace eaglerun {

struct PickleValue;
using PickleRef = std::shared_ptr<PickleValue>;

struct PickleStorage {
  DType dtype = DType::F32;
  std::string key;       // the entry data/<key> of the archive
  std::string location;  // "cpu", "cuda:0", ... (ignored)
  int64_t numel = 0;     // elements of dtype
};

struct PickleTensor {
  PickleStorage storage;
  int64_t offset = 0;            // elements into the storage
  std::vector<int64_t> size;     // outermost first
  std::vector<int64_t> stride;   // elements
  bool requires_grad = false;
};

struct PickleValue {
  enum class Kind { None, Bool, Int, String, Tuple, Dict, Global, StorageType, Storage, Tensor };
  Kind kind = Kind::None;
  int64_t integer = 0;                            // Bool (0/1), Int
  std::string text;                               // String; Global "module.name"
  DType dtype = DType::F32;                       // StorageType
  std::vector<PickleRef> items;                   // Tuple
  std::vector<std::pair<std::string, PickleRef>> entries;  // Dict, in insertion order
  PickleStorage storage;                          // Storage
  PickleTensor tensor;                            // Tensor
  int depth = 0;                                  // nesting below this value
  bool frozen = false;                            // Dict: placed inside another value

  const char* kind_name() const;
};

constexpr int kMaxPickleDepth = 32;

// Runs the restricted unpickler over data[0, size) up to STOP (which must be the last byte) and
// returns the top of the stack. Throws Error("SOURCE: <what is wrong> at byte N").
PickleRef read_pickle(const std::byte* data, std::size_t size, const std::string& source);

}  // namespace eaglerun
