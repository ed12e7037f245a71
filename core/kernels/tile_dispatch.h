#pragma once
// Internal: calls a kernel template instantiated for a register tile of R weight rows (or row
// groups) x C activation rows, both known only at run time, for the vector kernel files.
#include <utility>

namespace eaglerun::kernels {

template <int R, class F, int... Cs>
static inline void dispatch_columns(int c, F& f, std::integer_sequence<int, Cs...>) {
  (void)((c == Cs + 1 && (f.template operator()<R, Cs + 1>(), true)) || ...);
}

template <int kMaxC, class F, int... Rs>
static inline void dispatch_rows(int r, int c, F& f, std::integer_sequence<int, Rs...>) {
  (void)((r == Rs + 1 && (dispatch_columns<Rs + 1>(c, f, std::make_integer_sequence<int, kMaxC>{}), true)) || ...);
}

// Calls f.template operator()<R, C>() for runtime 1 <= r <= kMaxR, 1 <= c <= kMaxC (instantiating
// every pair up to those bounds).
template <int kMaxR = 4, int kMaxC = 4, class F>
static inline void dispatch_tile(int r, int c, F&& f) {
  dispatch_rows<kMaxC>(r, c, f, std::make_integer_sequence<int, kMaxR>{});
}

}  // namespace eaglerun::kernels
