#pragma once
// A Backend that runs another (the CUDA backend) and checks every product it computes on the inputs
// it really got. For each matmul y[n, out] = x[n, in] . W[out, in]^T with an F32, F16 or BF16 weight,
// it downloads x and y and compares each output with the exact product in double of the same
// inputs, the activations rounded to the weight's type first where it is 16-bit (r(x) = x for F32;
// CudaBackend rounds them so, cuda_backend.h):
//   exact = sum_p w_p r(x_p),  |y - exact| <= in * 2^-23 * sum_p |w_p r(x_p)|
// since each of the in fp32 additions (and fp32 product, for F32 weights) errs by at most one ulp of
// its result, tensor cores possibly truncating. The bound is sound whatever the inputs, so a
// rounding-boundary flip in x (another summation order upstream) cannot fail it, while a wrong
// rounding, a transposed or mis-strided operand or a lost row does. Products with other weight types
// are counted, not checked. Everything else goes straight to the inner backend.
#include <cstdint>
#include <memory>
#include <string>

#include "core/backend/backend.h"

namespace eaglerun::test {

struct ProductCheck {
  int64_t products = 0;        // matmul calls checked
  int64_t outputs = 0;         // outputs checked
  int64_t unchecked = 0;       // matmul calls with a weight type not checked here
  double worst = 0;            // the largest |y - exact| / bound (<= 1: every output within)
  std::string worst_at;        // where, with the numbers
  int64_t rounding_shows = 0;  // outputs whose unrounded product is more than 2 bounds from exact
};

class CheckedProducts final : public Backend {
 public:
  CheckedProducts(std::shared_ptr<Backend> inner, std::shared_ptr<ProductCheck> check)
      : inner_(std::move(inner)), check_(std::move(check)) {}

  void matmul(const TensorView& w, const float* x, int64_t n, float* y) override;

  std::string name() const override { return inner_->name(); }
  bool host_memory() const override { return inner_->host_memory(); }
  DeviceBuffer allocate(int64_t bytes) override { return inner_->allocate(bytes); }  // inner_ frees them
  void upload(void* device, const void* host, int64_t bytes) override { inner_->upload(device, host, bytes); }
  void download(void* host, const void* device, int64_t bytes) override { inner_->download(host, device, bytes); }
  void copy(void* to, const void* from, int64_t bytes) override { inner_->copy(to, from, bytes); }
  void zero(void* device, int64_t bytes) override { inner_->zero(device, bytes); }
  void prepare(const TensorView& w) override { inner_->prepare(w); }
  void prepare(std::span<const float> vector) override { inner_->prepare(vector); }
  void release_weights() override { inner_->release_weights(); }
  void rmsnorm(const float* x, std::span<const float> weight, int64_t n, float eps, float* out) override {
    inner_->rmsnorm(x, weight, n, eps, out);
  }
  void rope(float* x, std::span<const int32_t> positions, int64_t n_heads, int64_t head_dim, double theta,
            RopePairing pairing) override {
    inner_->rope(x, positions, n_heads, head_dim, theta, pairing);
  }
  void silu_mul(const float* gate, const float* up, int64_t n, float* out) override {
    inner_->silu_mul(gate, up, n, out);
  }
  void add(float* out, const float* x, int64_t n) override { inner_->add(out, x, n); }
  void embed(const TensorView& table, std::span<const int32_t> tokens, float* out) override {
    inner_->embed(table, tokens, out);
  }
  void gather_rows(const float* x, std::span<const int64_t> rows, int64_t width, float* out) override {
    inner_->gather_rows(x, rows, width, out);
  }
  void add_weighted_rows(float* out, std::span<const int64_t> rows, std::span<const float> weights, const float* y,
                         int64_t width) override {
    inner_->add_weighted_rows(out, rows, weights, y, width);
  }
  void attention(std::span<const AttentionSegment> segments, const ModelConfig& config) override {
    inner_->attention(segments, config);
  }
  void kv_write(const KvLayer& layer, int64_t first, const float* k, const float* v, int64_t n) override {
    inner_->kv_write(layer, first, k, v, n);
  }
  void kv_keep(const KvLayer& layer, std::span<const int64_t> indices) override { inner_->kv_keep(layer, indices); }

 protected:
  void free(void*, int64_t) override {}  // never called: every buffer belongs to inner_

 private:
  std::shared_ptr<Backend> inner_;
  std::shared_ptr<ProductCheck> check_;
};

}  // namespace eaglerun::test
