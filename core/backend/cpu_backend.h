#pragma once
// The CPU backend: host memory, the CPU kernels of core/kernels (reference or fast, see Precision),
// the work of each op split over a ThreadPool. Weights are the loader's own host views; prepare()
// packs quantised matrices for the fast kernels (packed_weights.h) and needs nothing for vectors.
#include <memory>

#include "core/backend/backend.h"
#include "core/kernels/matmul.h"
#include "core/kernels/packed_weights.h"
#include "core/kernels/thread_pool.h"

namespace eaglerun {

class CpuBackend final : public Backend {
 public:
  CpuBackend(ThreadPool& pool, Precision precision) : pool_(pool), precision_(precision) {}

  Precision precision() const { return precision_; }
  ThreadPool& pool() const { return pool_; }

  std::string name() const override { return "cpu"; }
  bool host_memory() const override { return true; }
  DeviceBuffer allocate(int64_t bytes) override;
  void upload(void* device, const void* host, int64_t bytes) override;
  void download(void* host, const void* device, int64_t bytes) override;
  void copy(void* to, const void* from, int64_t bytes) override;
  void zero(void* device, int64_t bytes) override;

  void prepare(const TensorView& w) override;
  void prepare(std::span<const float>) override {}
  void release_weights() override { packed_ = PackedWeights(); }

  void matmul(const TensorView& w, const float* x, int64_t n, float* y) override;
  void matmul_many(std::span<const MatmulTarget> targets, const float* x, int64_t n) override;
  void rmsnorm(const float* x, std::span<const float> weight, int64_t n, float eps, float* out) override;
  void rope(float* x, std::span<const int32_t> positions, int64_t n_heads, int64_t head_dim, double theta,
            RopePairing pairing) override;
  void silu_mul(const float* gate, const float* up, int64_t n, float* out) override;
  void add(float* out, const float* x, int64_t n) override;
  void embed(const TensorView& table, std::span<const int32_t> tokens, float* out) override;
  void gather_rows(const float* x, std::span<const int64_t> rows, int64_t width, float* out) override;
  void add_weighted_rows(float* out, std::span<const int64_t> rows, std::span<const float> weights, const float* y,
                         int64_t width) override;
  void attention(std::span<const AttentionSegment> segments, const ModelConfig& config) override;
  void kv_write(const KvLayer& layer, int64_t first, const float* k, const float* v, int64_t n) override;
  void kv_keep(const KvLayer& layer, std::span<const int64_t> indices) override;

 protected:
  void free(void* data, int64_t bytes) override;

 private:
  ThreadPool& pool_;
  Precision precision_;
  PackedWeights packed_;  // the quantised matrices prepared for the fast kernels
};

// A CPU backend for host-memory storage only (a KV cache made without a model): one thread.
const std::shared_ptr<CpuBackend>& host_backend();

}  // namespace eaglerun
