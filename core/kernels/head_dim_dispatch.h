#pragma once
// Internal: calls an attention kernel template instantiated for a head size of 16 NV elements, NV
// known only at run time (1..16), for the vector attention files.
#include <cstdint>

namespace eaglerun::kernels {

// Calls f.template operator()<NV>() for 1 <= nv <= 16 (16 for anything larger).
template <class F>
static inline void with_nv(int64_t nv, F&& f) {
  switch (nv) {
    case 1: return f.template operator()<1>();
    case 2: return f.template operator()<2>();
    case 3: return f.template operator()<3>();
    case 4: return f.template operator()<4>();
    case 5: return f.template operator()<5>();
    case 6: return f.template operator()<6>();
    case 7: return f.template operator()<7>();
    case 8: return f.template operator()<8>();
    case 9: return f.template operator()<9>();
    case 10: return f.template operator()<10>();
    case 11: return f.template operator()<11>();
    case 12: return f.template operator()<12>();
    case 13: return f.template operator()<13>();
    case 14: return f.template operator()<14>();
    case 15: return f.template operator()<15>();
    default: return f.template operator()<16>();
  }
}

}  // namespace eaglerun::kernels
