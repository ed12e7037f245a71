#pragma once
// Internal: calls a kernel template instantiated for a register tile of R weight rows x C
// activation rows, both known only at run time (1..4), for the vector kernel files.
namespace eaglerun::kernels {

// Calls f.template operator()<R, C>() for runtime 1 <= r, c <= 4.
template <class F>
static inline void dispatch_tile(int r, int c, F&& f) {
  switch (r * 8 + c) {
    case 1 * 8 + 1: return f.template operator()<1, 1>();
    case 1 * 8 + 2: return f.template operator()<1, 2>();
    case 1 * 8 + 3: return f.template operator()<1, 3>();
    case 1 * 8 + 4: return f.template operator()<1, 4>();
    case 2 * 8 + 1: return f.template operator()<2, 1>();
    case 2 * 8 + 2: return f.template operator()<2, 2>();
    case 2 * 8 + 3: return f.template operator()<2, 3>();
    case 2 * 8 + 4: return f.template operator()<2, 4>();
    case 3 * 8 + 1: return f.template operator()<3, 1>();
    case 3 * 8 + 2: return f.template operator()<3, 2>();
    case 3 * 8 + 3: return f.template operator()<3, 3>();
    case 3 * 8 + 4: return f.template operator()<3, 4>();
    case 4 * 8 + 1: return f.template operator()<4, 1>();
    case 4 * 8 + 2: return f.template operator()<4, 2>();
    case 4 * 8 + 3: return f.template operator()<4, 3>();
    default: return f.template operator()<4, 4>();
  }
}

}  // namespace eaglerun::kernels
