#include "core/train/gemm.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/train/gemm_kernels.h"

namespace eaglerun::train {
namespace detail {

void gemm_kernel_generic(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n,
                         bool accumulate) {
  float acc[kGemmMr][kGemmNr] = {};
  for (int64_t k = 0; k < kc; ++k, a += kGemmMr, b += kGemmNr) {
    for (int r = 0; r < kGemmMr; ++r) {
      for (int j = 0; j < kGemmNr; ++j) acc[r][j] += a[r] * b[j];
    }
  }
  for (int r = 0; r < m; ++r) {
    for (int j = 0; j < n; ++j) c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
  }
}

}  // namespace detail

namespace {

// The widest kernel this CPU runs: AVX-512, else AVX2 + FMA, else the generic loop.
detail::GemmKernel active_kernel() {
  static const detail::GemmKernel k = detail::gemm_kernel_avx512() ? detail::gemm_kernel_avx512()
                                      : detail::gemm_kernel_avx2() ? detail::gemm_kernel_avx2()
                                                                   : detail::gemm_kernel_generic;
  return k;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// dst[kc][kGemmMr] for rows [i0, i0 + mr) and columns [p0, p0 + kc) of A; zero rows past mr.
void pack_a_tile(const MatrixRef& a, int64_t i0, int mr, int64_t p0, int64_t kc, float* dst) {
  if (mr < kGemmMr) std::memset(dst, 0, sizeof(float) * kc * kGemmMr);
  const float* src = a.data + i0 * a.row_stride + p0 * a.col_stride;
  if (a.col_stride == 1) {  // rows of A contiguous: read along them
    for (int r = 0; r < mr; ++r) {
      for (int64_t k = 0; k < kc; ++k) dst[k * kGemmMr + r] = src[r * a.row_stride + k];
    }
  } else {
    for (int64_t k = 0; k < kc; ++k) {
      for (int r = 0; r < mr; ++r) dst[k * kGemmMr + r] = src[r * a.row_stride + k * a.col_stride];
    }
  }
}

// The work of one thread: rows [i_begin, i_end) x panels [p_begin, p_end) of C.
struct Block {
  int64_t i_begin, i_end, p_begin, p_end;
};

// K blocks of equal size (a multiple of 8), at most kKcMax, or all of a short K: a function of K only.
int64_t k_block(int64_t K) {
  if (K <= kKcWhole) return K;
  const int64_t blocks = ceil_div(K, kKcMax);
  return std::min(kKcMax, ceil_div(ceil_div(K, blocks), 8) * 8);
}

// Rows of A per packed block: equal blocks of at most kMcMax, whole register tiles.
int64_t m_block(int64_t rows) {
  const int64_t blocks = ceil_div(rows, kMcMax);
  return ceil_div(ceil_div(rows, blocks), kGemmMr) * kGemmMr;
}

void gemm_block(const MatrixRef& a, const PackedMatrix& b, float* c, int64_t ldc, bool accumulate, const Block& blk) {
  const detail::GemmKernel kernel = active_kernel();
  const int64_t K = a.cols, N = b.n(), KC = k_block(K), MC = m_block(blk.i_end - blk.i_begin);
  thread_local std::vector<float, CacheAlignedAllocator<float>> abuf;
  abuf.resize(static_cast<std::size_t>(MC * KC));
  for (int64_t pc = 0; pc < K; pc += KC) {
    const int64_t kc = std::min(KC, K - pc);
    const bool acc = accumulate || pc > 0;
    for (int64_t ic = blk.i_begin; ic < blk.i_end; ic += MC) {
      const int64_t mc = std::min(MC, blk.i_end - ic);
      for (int64_t ir = 0; ir < mc; ir += kGemmMr) {
        pack_a_tile(a, ic + ir, static_cast<int>(std::min<int64_t>(kGemmMr, mc - ir)), pc, kc,
                    abuf.data() + ir * kc);
      }
      for (int64_t p = blk.p_begin; p < blk.p_end; ++p) {
        const float* bp = b.panel(p) + pc * kGemmNr;
        const int n = static_cast<int>(std::min<int64_t>(kGemmNr, N - p * kGemmNr));
        for (int64_t ir = 0; ir < mc; ir += kGemmMr) {
          const int m = static_cast<int>(std::min<int64_t>(kGemmMr, mc - ir));
          kernel(kc, abuf.data() + ir * kc, bp, c + (ic + ir) * ldc + p * kGemmNr, ldc, m, n, acc);
        }
      }
    }
  }
}

}  // namespace

const float* PackedMatrix::panel(int64_t p) const { return data_.data() + p * k_ * kGemmNr; }

PackedMatrix PackedMatrix::pack(const MatrixRef& b, ThreadPool& pool) {
  PackedMatrix out;
  out.k_ = b.rows;
  out.n_ = b.cols;
  const int64_t panels = ceil_div(b.cols, kGemmNr);
  out.data_.assign(static_cast<std::size_t>(panels * b.rows * kGemmNr), 0.f);
  pool.parallel_for(panels, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      float* dst = out.data_.data() + p * b.rows * kGemmNr;
      const int64_t n = std::min<int64_t>(kGemmNr, b.cols - p * kGemmNr);
      const float* src = b.data + p * kGemmNr * b.col_stride;
      if (b.col_stride == 1) {  // rows of B contiguous
        for (int64_t k = 0; k < b.rows; ++k) std::memcpy(dst + k * kGemmNr, src + k * b.row_stride, n * sizeof(float));
      } else {  // columns of B contiguous (B = W^T): read along them
        for (int64_t j = 0; j < n; ++j) {
          for (int64_t k = 0; k < b.rows; ++k) dst[k * kGemmNr + j] = src[j * b.col_stride + k * b.row_stride];
        }
      }
    }
  });
  return out;
}

void gemm(const MatrixRef& a, const PackedMatrix& b, float* c, int64_t ldc, bool accumulate, ThreadPool& pool) {
  require(a.cols == b.k(), "gemm: inner sizes differ (" + std::to_string(a.cols) + " vs " + std::to_string(b.k()) + ")");
  const int64_t M = a.rows, panels = ceil_div(b.n(), kGemmNr), tiles = ceil_div(M, kGemmMr);
  if (M == 0 || b.n() == 0) return;
  if (a.cols == 0) {
    for (int64_t i = 0; i < M && !accumulate; ++i) std::fill_n(c + i * ldc, b.n(), 0.f);
    return;
  }
  // Split rows when there are enough (each thread packs only its own rows of A), else panels.
  const bool split_rows = tiles >= 4 * pool.size() || tiles >= panels;
  pool.parallel_for(split_rows ? tiles : panels, [&](int64_t begin, int64_t end) {
    const Block blk = split_rows ? Block{begin * kGemmMr, std::min(M, end * kGemmMr), 0, panels}
                                 : Block{0, M, begin, end};
    gemm_block(a, b, c, ldc, accumulate, blk);
  });
}

void gemm(const MatrixRef& a, const MatrixRef& b, float* c, int64_t ldc, bool accumulate, ThreadPool& pool) {
  gemm(a, PackedMatrix::pack(b, pool), c, ldc, accumulate, pool);
}

void gemm_xwt(const float* x, const float* w, int64_t m, int64_t n, int64_t k, float* y, bool accumulate,
              ThreadPool& pool) {
  gemm(MatrixRef::row_major(x, m, k), MatrixRef::transposed(w, n, k), y, n, accumulate, pool);
}

void gemm_dyw(const float* dy, const float* w, int64_t m, int64_t n, int64_t k, float* dx, bool accumulate,
              ThreadPool& pool) {
  gemm(MatrixRef::row_major(dy, m, n), MatrixRef::row_major(w, n, k), dx, k, accumulate, pool);
}

void gemm_dytx(const float* dy, const float* x, int64_t m, int64_t n, int64_t k, float* dw, bool accumulate,
               ThreadPool& pool) {
  gemm(MatrixRef::transposed(dy, m, n), MatrixRef::row_major(x, m, k), dw, k, accumulate, pool);
}

const char* gemm_kernel_name() {
  if (active_kernel() == detail::gemm_kernel_generic) return "generic";
  return active_kernel() == detail::gemm_kernel_avx512() ? "avx512" : "avx2";
}

}  // namespace eaglerun::train
