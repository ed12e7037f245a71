// kv_write and kv_gather (emulated) against KvCache::write and KvCache::keep (core/model/kv_cache.h),
// byte for byte: F32 rows are copies, F16 rows are rounded to nearest even on both (NaN: both NaN,
// CUDA's NaN bits may differ from the CPU's).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/backend/cuda/emulation/grid_runner.h"
#include "core/backend/cuda/kernels.h"
#include "core/error.h"
#include "core/kernels/matmul.h"
#include "core/model/kv_cache.h"
#include "tests/cuda/compare.h"
#include "tests/cuda/schedules.h"

namespace eaglerun::cuda {
namespace {

using testing::in_every_schedule;
using testing::random_floats;

struct KvShape {
  int64_t n_kv_heads;
  int64_t head_dim;
  int64_t capacity;
};
const KvShape kv_shapes[] = {{1, 1, 4}, {1, 5, 9}, {3, 64, 20}, {2, 130, 33}};

// One layer's keys and values of `cache` (layer 1 of 2), as raw bytes.
std::vector<std::byte> layer_bytes(const KvCache& cache, bool values) {
  const KvRows rows = cache.layer(1);
  const std::size_t bytes = storage_bytes(cache.dtype(), rows.head_stride * (cache.kv_dim() / rows.row_stride));
  const auto* p = static_cast<const std::byte*>(values ? rows.values : rows.keys);
  return std::vector<std::byte>(p, p + bytes);
}

// Equal bytes, except that a NaN fp16 may have other NaN bits.
void expect_same_rows(const std::vector<std::byte>& got, const std::vector<std::byte>& expected, DType dtype) {
  ASSERT_EQ(got.size(), expected.size());
  if (dtype == DType::F32) {
    ASSERT_EQ(got, expected);
    return;
  }
  for (std::size_t i = 0; i < got.size(); i += 2) {
    uint16_t a, b;
    std::memcpy(&a, got.data() + i, 2);
    std::memcpy(&b, expected.data() + i, 2);
    const bool both_nan = std::isnan(fp16_to_fp32(a)) && std::isnan(fp16_to_fp32(b));
    ASSERT_TRUE(a == b || both_nan) << "element " << i / 2 << ": " << a << " vs " << b;
  }
}

// Keys and values with fp16's hard cases mixed in: ties, subnormals, overflow, inf, NaN.
std::vector<float> kv_values(std::size_t n, uint32_t seed) {
  std::vector<float> v = random_floats(n, -30.0f, 30.0f, seed);
  const float specials[] = {1.00048828125f,  // exactly halfway between two fp16 values: ties to even
                            1.00146484375f,  // halfway, rounds up to even
                            3.0e-6f,         // fp16 subnormal
                            -6.0e-8f,        // rounds to the smallest subnormal
                            1.0e-9f,         // to zero
                            65519.0f,        // largest that rounds to 65504
                            65520.0f,        // rounds to inf
                            -1.0e6f,
                            std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN()};
  for (std::size_t i = 0; i < n && i < 10; ++i) v[i * 7 % n] = specials[i];
  return v;
}

TEST(CudaKvWrite, WritesTheBytesKvCacheWrites) {
  for (const DType dtype : {DType::F32, DType::F16}) {
    for (const KvShape s : kv_shapes) {
      for (const auto& [first, n] : {std::pair<int64_t, int64_t>{0, 1}, {0, s.capacity}, {s.capacity - 1, 1},
                                     {s.capacity / 3, s.capacity / 2 + 1}}) {
        SCOPED_TRACE(std::string(dtype_info(dtype).name) + " heads " + std::to_string(s.n_kv_heads) + " dim " +
                     std::to_string(s.head_dim) + " rows [" + std::to_string(first) + ", +" + std::to_string(n) + ")");
        const int64_t kv_dim = s.n_kv_heads * s.head_dim;
        const std::vector<float> k = kv_values(n * kv_dim, 11);
        const std::vector<float> v = kv_values(n * kv_dim, 12);
        KvCache cache(2, s.n_kv_heads, s.head_dim, s.capacity, dtype);
        const std::vector<std::byte> before = layer_bytes(cache, false);
        cache.write(1, first, k.data(), v.data(), n);
        in_every_schedule([&] {
          std::vector<std::byte> keys = before;
          std::vector<std::byte> values = before;
          kv_write(KvLayer{keys.data(), values.data(), s.n_kv_heads, s.capacity, s.head_dim, dtype}, first, k.data(),
                   v.data(), n, nullptr);
          expect_same_rows(keys, layer_bytes(cache, false), dtype);
          expect_same_rows(values, layer_bytes(cache, true), dtype);
        });
      }
    }
  }
}

TEST(CudaKvGather, CompactsRowsAsKvCacheKeep) {
  const std::vector<std::vector<int64_t>> kept{
      {0}, {3}, {0, 1, 2}, {1, 2, 3}, {0, 2, 5, 6}, {2, 3, 4, 7, 8}, {4, 5, 6, 7, 8}, {0, 1, 3, 8}};
  for (const DType dtype : {DType::F32, DType::F16}) {
    for (const KvShape s : kv_shapes) {
      for (const std::vector<int64_t>& indices : kept) {
        if (indices.back() >= s.capacity) continue;
        SCOPED_TRACE(std::string(dtype_info(dtype).name) + " heads " + std::to_string(s.n_kv_heads) + " dim " +
                     std::to_string(s.head_dim) + " keeping " + std::to_string(indices.size()) + " up to row " +
                     std::to_string(indices.back()));
        const int64_t kv_dim = s.n_kv_heads * s.head_dim;
        const std::vector<float> k = random_floats(s.capacity * kv_dim, -2.0f, 2.0f, 13);
        const std::vector<float> v = random_floats(s.capacity * kv_dim, -2.0f, 2.0f, 14);
        KvCache cache(2, s.n_kv_heads, s.head_dim, s.capacity, dtype);
        cache.write(1, 0, k.data(), v.data(), s.capacity);
        cache.commit(s.capacity);
        const std::vector<std::byte> keys_before = layer_bytes(cache, false);
        const std::vector<std::byte> values_before = layer_bytes(cache, true);
        cache.keep(indices);
        in_every_schedule([&] {
          std::vector<std::byte> keys = keys_before;
          std::vector<std::byte> values = values_before;
          kv_gather(KvLayer{keys.data(), values.data(), s.n_kv_heads, s.capacity, s.head_dim, dtype}, indices.data(),
                    static_cast<int64_t>(indices.size()), nullptr);
          ASSERT_EQ(keys, layer_bytes(cache, false));
          ASSERT_EQ(values, layer_bytes(cache, true));
        });
      }
    }
  }
}

TEST(CudaKvCacheKernels, RefuseBadLayersAndRows) {
  std::vector<float> buffer(64);
  std::vector<float> kv(64);
  const KvLayer layer{buffer.data(), buffer.data(), 2, 4, 8, DType::F32};
  EXPECT_THROW(kv_write(layer, 0, kv.data(), kv.data(), 0, nullptr), Error);
  EXPECT_THROW(kv_write(layer, -1, kv.data(), kv.data(), 1, nullptr), Error);
  EXPECT_THROW(kv_write(layer, 3, kv.data(), kv.data(), 2, nullptr), Error);  // past the capacity
  KvLayer bf16 = layer;
  bf16.dtype = DType::BF16;
  EXPECT_THROW(kv_write(bf16, 0, kv.data(), kv.data(), 1, nullptr), Error);
  KvLayer no_heads = layer;
  no_heads.n_kv_heads = 0;
  EXPECT_THROW(kv_write(no_heads, 0, kv.data(), kv.data(), 1, nullptr), Error);
  const std::vector<int64_t> indices{0, 1, 2, 3, 4};
  EXPECT_THROW(kv_gather(layer, indices.data(), 0, nullptr), Error);
  EXPECT_THROW(kv_gather(layer, indices.data(), 5, nullptr), Error);  // more rows than the capacity
  // Indices are device data: the kernel traps on one that would read an overwritten row or leave the cache.
  const std::vector<int64_t> backwards{1, 0};
  const std::vector<int64_t> outside{0, 4};
  EXPECT_THROW(kv_gather(layer, backwards.data(), 2, nullptr), emulation::EmulationError);
  EXPECT_THROW(kv_gather(layer, outside.data(), 2, nullptr), emulation::EmulationError);
}

}  // namespace
}  // namespace eaglerun::cuda
