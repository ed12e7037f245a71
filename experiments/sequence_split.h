#pragma once
// The deterministic train/validation split by conversation id, the same rule as
// data/sharegpt/split.py: FNV-1a 64 over the id's bytes; validation when hash % 1000 < permille.
#include <cstdint>
#include <string_view>

namespace eaglerun {

enum class DataSplit { All, Train, Validation };

inline constexpr int kDefaultValidationPermille = 50;  // 5 %, EAGLE's 95/5 split

uint64_t fnv1a64(std::string_view bytes);
bool is_validation_id(std::string_view id, int permille = kDefaultValidationPermille);
// True when a sequence with this id belongs to `split`.
bool in_split(std::string_view id, DataSplit split, int permille = kDefaultValidationPermille);

// "all", "train", "validation"; throws Error otherwise.
DataSplit parse_data_split(std::string_view name);

}  // namespace eaglerun
