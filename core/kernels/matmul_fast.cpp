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
constexpr int64_t kPackRows = kRowTile;

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

// At most one quantised copy per weight dtype (Q4_0, Q4_1, Q8_0).
constexpr std::size_t kMaxQuantTypes = 3;
// Row ranges handled without a heap allocation (a call has 1 to 3: q/k/v, gate/up).
constexpr std::size_t kInlineRanges = 8;

// A small array on the stack, on the heap past its inline capacity: a matmul call (a decode step
// makes ~200) should cost no allocation.
template <class T>
class SmallArray {
 public:
  explicit SmallArray(std::size_t n) : n_(n) {
    if (n > kInlineRanges) heap_.resize(n);
  }
  T& operator[](std::size_t i) { return n_ > kInlineRanges ? heap_[i] : inline_[i]; }
  const T& operator[](std::size_t i) const { return n_ > kInlineRanges ? heap_[i] : inline_[i]; }

 private:
  std::size_t n_;
  T inline_[kInlineRanges] = {};
  std::vector<T> heap_;
};

struct Quantised {
  QuantisedX x[kMaxQuantTypes];
  std::size_t count = 0;
  const QuantisedX& of(DType t) const {
    std::size_t i = 0;
    while (x[i].wtype != t) ++i;
    return x[i];
  }
};

// Quantises x once for every distinct quantised dtype among the ranges.
Quantised quantise_activations(const IsaKernels& isa, std::span<const RowRange> ranges, const float* x, int64_t n,
                               int64_t k, ThreadPool& pool) {
  Quantised out;
  for (const RowRange& r : ranges) {
    const DType t = r.w->dtype;
    if (!is_quantised(t)) continue;
    if (std::none_of(out.x, out.x + out.count, [&](const QuantisedX& q) { return q.wtype == t; })) {
      out.x[out.count++] = {t, nullptr, isa.act_row_bytes(t, k)};
    }
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < out.count; ++i) total += static_cast<std::size_t>(n) * out.x[i].stride;
  std::byte* buffer = thread_buffer<Use::Activations>(total);
  for (std::size_t i = 0; i < out.count; ++i) {
    QuantisedX& q = out.x[i];
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

// Runs rows [begin, end) of one range (relative to range.row_begin); `packed`: its packed copy or null.
void run_rows(const IsaKernels& isa, const RowRange& range, const std::byte* packed, int64_t begin, int64_t end,
              const float* x, int64_t n, const Quantised& quantised) {
  const TensorView& w = *range.w;
  const int64_t row = range.row_begin + begin;
  float* y = range.y + begin;
  if (!is_quantised(w.dtype)) {
    isa.gemm_float({w.dtype, w.row(row), w.row_bytes(), end - begin, w.cols(), x, n, y, range.ldy});
    return;
  }
  const QuantisedX& q = quantised.of(w.dtype);
  const std::size_t stride = w.row_bytes();
  // A packed copy serves rows from a multiple of kRowTile (where its row groups start).
  if (packed != nullptr && row % kRowTile != 0) packed = nullptr;
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

// One call's work, shared by the threads.
struct Job {
  const IsaKernels& isa;
  std::span<const RowRange> ranges;
  const SmallArray<const std::byte*>& packed;  // each range's packed copy or null
  const SmallArray<int64_t>& start;            // range i owns virtual rows [start[i], start[i + 1])
  const float* x;
  int64_t n;
  const Quantised& quantised;

  void rows(int64_t begin, int64_t end) const {
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const int64_t lo = std::max(begin, start[i]) - start[i];
      const int64_t hi = std::min({end, start[i + 1], start[i] + ranges[i].rows}) - start[i];
      if (lo < hi) run_rows(isa, ranges[i], packed[i], lo, hi, x, n, quantised);
    }
  }
};

}  // namespace

void matmul_fast(std::span<const RowRange> ranges, const float* x, int64_t n, ThreadPool& pool) {
  const IsaKernels& isa = active_isa_kernels();
  const int64_t k = ranges.front().w->cols();
  const Quantised quantised = quantise_activations(isa, ranges, x, n, k, pool);
  // The rows the quantised kernels read for each range: the packed copy when the ISA packs and one
  // exists, else null (pack on the fly, or the file's blocks when the ISA does not pack).
  SmallArray<const std::byte*> packed(ranges.size());
  SmallArray<int64_t> start(ranges.size() + 1);
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const TensorView& w = *ranges[i].w;
    packed[i] = isa.pack_rows != nullptr && is_quantised(w.dtype) ? kernels::find_packed(w, isa.pack_rows) : nullptr;
    start[i + 1] = start[i] + round_up(ranges[i].rows, kRowTile);
  }
  const Job job{isa, ranges, packed, start, x, n, quantised};
  const int64_t total = start[ranges.size()];
  // Even shares (in whole row tiles) for the pool, or all on this thread when the job is small.
  if (total * k * n < kMinParallelMacs) {
    job.rows(0, total);
  } else {
    // A one-pointer capture: std::function holds it without allocating.
    pool.parallel_for(total, [&job](int64_t begin, int64_t end) { job.rows(begin, end); }, kRowTile);
  }
}

}  // namespace eaglerun::kernels
