#pragma once
// Copies of quantised weight matrices in the layout the active kernels read (isa_kernels.h
// pack_rows; AVX-512: avx512_layout.h), made once when a model is loaded so that no matmul repacks
// them. matmul finds a copy by the view's data pointer, size and type while its owner lives. A view
// without a copy (a test's buffer, a row slice made later) is packed on the fly, tile by tile, into
// the same bytes: results never depend on whether a copy exists. Costs a second copy of the
// quantised matrices in memory (the file's mapping stays for the embedding rows).
//
// An owner must keep each added view's bytes alive and unchanged until it withdraws the copy
// (destroys its PackedWeights first: declare the member after the storage it packs). Copying an
// owner copies nothing here: the copy's own buffers (new addresses) are packed on the fly.
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <vector>

#include "core/kernels/thread_pool.h"
#include "core/tensor/tensor_view.h"

namespace eaglerun {

class PackedWeights {
 public:
  PackedWeights() = default;
  ~PackedWeights();  // withdraws its copies
  PackedWeights(PackedWeights&& other) noexcept;
  PackedWeights& operator=(PackedWeights&& other) noexcept;
  PackedWeights(const PackedWeights&) {}  // holds no copies (see above)
  PackedWeights& operator=(const PackedWeights& other) {
    if (this != &other) release();
    return *this;
  }

  // Packs w (rows split over the pool) if it is a quantised matrix and the active kernels read
  // packed rows; otherwise does nothing. A view packed before (by anyone) is shared.
  void add(const TensorView& w, ThreadPool& pool);

 private:
  void release();
  std::vector<std::tuple<const std::byte*, std::size_t, DType, int64_t, std::uintptr_t>> keys_;  // registry keys held
};

namespace kernels {
using PackRowsFn = void (*)(DType, const std::byte*, std::size_t, int64_t, int64_t, std::byte*);
// The packed copy of w made by `pack` (row r, a multiple of kRowTile, at r * w.row_bytes()), or null.
const std::byte* find_packed(const TensorView& w, PackRowsFn pack);
}  // namespace kernels

}  // namespace eaglerun
