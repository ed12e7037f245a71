#include "experiments/sequence_split.h"

#include <string>

#include "core/error.h"

namespace eaglerun {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char b : bytes) h = (h ^ b) * 0x100000001B3ull;
  return h;
}

bool is_validation_id(std::string_view id, int permille) { return fnv1a64(id) % 1000 < static_cast<uint64_t>(permille); }

bool in_split(std::string_view id, DataSplit split, int permille) {
  switch (split) {
    case DataSplit::All: return true;
    case DataSplit::Train: return !is_validation_id(id, permille);
    case DataSplit::Validation: return is_validation_id(id, permille);
  }
  return false;
}

DataSplit parse_data_split(std::string_view name) {
  if (name == "all") return DataSplit::All;
  if (name == "train") return DataSplit::Train;
  if (name == "validation") return DataSplit::Validation;
  throw Error("unknown split '" + std::string(name) + "' (expected all, train or validation)");
}

}  // namespace eaglerun
