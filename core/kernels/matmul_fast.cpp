// Precision::Fast: the active ISA's native kernels (isa_kernels.h), parallel over output rows.
// Quantised weights: the activation rows are quantised once per call (once per weight dtype)
// into a per-thread buffer, then every thread runs the integer kernels on its share of the rows.
// Several row ranges (matmul_many) are laid end to end, each padded to the row tile, and split
// across threads in one parallel loop; tiles never straddle two ranges, so every output is
// computed exactly as a lone matmul would compute it.
// Kernels that read packed weight rows (IsaKernels::pack_rows) get the copy made at load time
// (packed_weights.h), or else each thread packs its rows on the fly, kPackRows at a time, into the
// same bytes: the kernels see identical rows either way.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/kernels/isa_kernels.h"
#include "core/kernels/matmul_paths.h"
#include "core/kernels/packed_weights.h"

namespace eaglerun::kernels {

namespace {

// Below this many multiply-adds a matmul is not worth splitting across threads.
constexpr int64_t kMinParallelMacs = 64 * 1024;
// Activation quantisation is split across threads only above this many elements.
constexpr int64_t kMinQuantiseParallel = 64 * 1024;
// Weight rows packed at a time for a weight without a packed copy (a multiple of kRowTile).
constexpr int64_t kPackRows = 16;

struct FreeDeleter {
  void operator()(std::byte* p) const { std::free(p); }
};

// A 64-byte aligned buffer of at least `bytes`, owned by the calling thread and reused across
// calls; one per Use.
enum class Use { Activations, PackedRows };
template <Use>
std::byte* thread_buffer(std::size_t bytes) {
  thread_local std::unique_ptr<std::byte, FreeDeleter> buffer;
  thread_local std::size_t capacity = 0;
  if (bytes > capacity) {
    const std::size_t size = std::max<std::size_t>((bytes + 63) / 64 * 64, capacity * 2);
    buffer.reset(static_cast<std::byte*>(std::aligned_alloc(64, size)));
    if (!buffer) throw std::bad_alloc();
    capacity = size;
  }
  return buffer.get();
}

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Activations quantised for one weight dtype: [n, stride bytes].
struct QuantisedX {
  DType wtype;
  const std::byte* data;
  std::size_t stride;
};

// Quantises x once for every distinct quantised dtype among the ranges.
std::vector<QuantisedX> quantise_activations(const IsaKernels& isa, std::span<const RowRange> ranges,
                                             const float* x, int64_t n, int64_t k, ThreadPool& pool) {
  std::vector<QuantisedX> out;
  for (const RowRange& r : ranges) {
    const DType t = r.w->dtype;
    if (!is_quantised(t)) continue;
    if (std::none_of(out.begin(), out.end(), [&](const QuantisedX& q) { return q.wtype == t; })) {
      out.push_back({t, nullptr, isa.act_row_bytes(t, k)});
    }
  }
  std::size_t total = 0;
  for (const QuantisedX& q : out) total += static_cast<std::size_t>(n) * q.stride;
  std::byte* buffer = thread_buffer<Use::Activations>(total);
  for (QuantisedX& q : out) {
    std::byte* act = buffer;
    buffer += static_cast<std::size_t>(n) * q.stride;
    auto rows = [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) isa.quantize_row(q.wtype, x + c * k, k, act + c * q.stride);
    };
    if (n * k < kMinQuantiseParallel) {
      rows(0, n);
    } else {
      pool.parallel_for(n, rows);
    }
    q.data = act;
  }
  return out;
}

// The rows the quantised kernels read for each range: the packed copy when the ISA packs and one
// exists, else null (pack on the fly, or the file's blocks when the ISA does not pack).
std::vector<const std::byte*> packed_copies(const IsaKernels& isa, std::span<const RowRange> ranges) {
  std::vector<const std::byte*> out(ranges.size(), nullptr);
  if (isa.pack_rows == nullptr) return out;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (is_quantised(ranges[i].w->dtype)) out[i] = kernels::find_packed(*ranges[i].w, isa.pack_rows);
  }
  return out;
}

// Runs rows [begin, end) of one range (relative to range.row_begin); `packed`: its packed copy or null.
void run_rows(const IsaKernels& isa, const RowRange& range, const std::byte* packed, int64_t begin, int64_t end,
              const float* x, int64_t n, const std::vector<QuantisedX>& quantised) {
  const TensorView& w = *range.w;
  const int64_t row = range.row_begin + begin;
  float* y = range.y + begin;
  if (!is_quantised(w.dtype)) {
    isa.gemm_float({w.dtype, w.row(row), w.row_bytes(), end - begin, w.cols(), x, n, y, range.ldy});
    return;
  }
  const QuantisedX& q = *std::find_if(quantised.begin(), quantised.end(),
                                      [&](const QuantisedX& e) { return e.wtype == w.dtype; });
  const std::size_t stride = w.row_bytes();
  if (packed != nullptr || isa.pack_rows == nullptr) {
    const std::byte* first = packed != nullptr ? packed + static_cast<std::size_t>(row) * stride : w.row(row);
    isa.gemm_quant({w.dtype, first, stride, end - begin, w.cols(), q.data, q.stride, n, y, range.ldy});
    return;
  }
  std::byte* rows = thread_buffer<Use::PackedRows>(static_cast<std::size_t>(kPackRows) * stride);
  for (int64_t r = 0; r < end - begin; r += kPackRows) {
    const int64_t count = std::min(kPackRows, end - begin - r);
    isa.pack_rows(w.dtype, w.row(row + r), stride, count, w.cols(), rows);
    isa.gemm_quant({w.dtype, rows, stride, count, w.cols(), q.data, q.stride, n, y + r, range.ldy});
  }
}

}  // namespace

void matmul_fast(std::span<const RowRange> ranges, const float* x, int64_t n, ThreadPool& pool) {
  const IsaKernels& isa = active_isa_kernels();
  const int64_t k = ranges.front().w->cols();
  const std::vector<QuantisedX> quantised = quantise_activations(isa, ranges, x, n, k, pool);
  const std::vector<const std::byte*> packed = packed_copies(isa, ranges);
  std::vector<int64_t> start(ranges.size() + 1, 0);  // range i owns virtual rows [start[i], start[i + 1])
  for (std::size_t i = 0; i < ranges.size(); ++i) start[i + 1] = start[i] + round_up(ranges[i].rows, kRowTile);
  auto rows = [&](int64_t begin, int64_t end) {
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const int64_t lo = std::max(begin, start[i]) - start[i];
      const int64_t hi = std::min({end, start[i + 1], start[i] + ranges[i].rows}) - start[i];
      if (lo < hi) run_rows(isa, ranges[i], packed[i], lo, hi, x, n, quantised);
    }
  };
  // Even shares (in whole row tiles) for the pool, or all on this thread when the job is small.
  if (start.back() * k * n < kMinParallelMacs) {
    rows(0, start.back());
  } else {
    pool.parallel_for(start.back(), rows, kRowTile);
  }
}

}  // namespace eaglerun::kernels
