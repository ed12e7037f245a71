#include "core/sampling/sampler.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "core/kernels/exp_kernels.h"
#include "core/kernels/ops.h"
#include "core/kernels/sampling_kernels.h"

// How the fast paths give the reference's floats (sampler.h states the procedure):
//
// * exp: exp_shifted() equals std::exp(float) bit for bit (core/kernels/exp_kernels.h).
// * Sums of n >= 0 terms: any two summation orders of the same terms differ by at most
//   2 * gamma_(n-1) * sum, gamma_m = m u / (1 - m u), u = 2^-53 (Higham, Accuracy and Stability of
//   Numerical Algorithms, 4.2); relative_bound(n) = (n + 16) * 2^-51 is above that with room for the
//   rounding of the bound's own products. A vectorised sum (sampling_kernels.h) plus that bound decides:
//     - the softmax normaliser float(1 / sum): when both ends of the bound give the same float;
//     - draw(): when u * total lies, for both ends of the bound on the total, strictly between the
//       bounds on the two cumulative sums around the candidate token;
//   otherwise the left-to-right loop runs (counted in sampling_detail::fallback_counts).
// * The kept mass summed in rank order (ranked_sum): every term >= tau = 2^23 * ulp(R) (R: an upper
//   bound of the sum) is a multiple of that ulp, so those terms add exactly in any order. The rest
//   come after them in the ranking (checked) and, once the running sum has reached R's binade, each
//   adds round(t / ulp) ulps whatever its position, except exact half-ulp ties, which round to even
//   and are resolved in rank order from the ulps added before them. Until the running sum reaches
//   R's binade, or when there are many ties, the small terms are radix-sorted by logit and added one
//   by one. The result is the rank-order double sum exactly; a check that fails falls back to sorting.
//   On a language model's logits the radix sort is the usual case (the sum crosses into R's binade
//   among the small terms, or hundreds of ties), and it is most of distribution()'s time.
// * Where the mass only decides comparisons, a bound replaces it: the rank-order mass lies within
//   relative_bound(V) of a fast sum. sample() without truncation takes q = float(p / sum) with the
//   width each q may move by (sampling_kernels.h: divide_bounded) and decides the draw with the
//   bounds widened by it; the top-p cut compares shares of the bounded mass. Either runs the exact
//   computation only when its bounds cannot decide (counted).
// * top-k: a selection of the k first in rank order (a heap for k <= 512, then the set sorted;
//   nth_element and a mask for larger k). top-p over a large set: a histogram of x locates the bin
//   where the cumulative share crosses top_p, only that bin's tokens are sorted and walked, and the
//   bound decides each comparison with top_p (else the ranked prefix is sorted, grown by logit
//   thresholds). The kept set is then a mask (p = 0 after it) whose ranked sum is the same argument.
//   Rank order is by x = logits / T, the lower id first among equal x, as the stable sort gave.

namespace eaglerun {

void SamplingParams::validate() const {
  require(temperature >= 0.f && std::isfinite(temperature), "--temperature must be >= 0");
  require(top_k >= 0, "--top-k must be >= 0");
  require(top_p > 0.f && top_p <= 1.f, "--top-p must be in (0, 1]");
}

namespace sampling_detail {
FallbackCounts& fallback_counts() {
  thread_local FallbackCounts counts;
  return counts;
}
}  // namespace sampling_detail

namespace {

using sampling_detail::fallback_counts;

double relative_bound(int64_t n) { return (static_cast<double>(n) + 16) * 0x1p-51; }

double sum_left_to_right(const float* p, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += p[i];
  return s;
}

// The reference's ranking: higher x first, the lower id first among equal x.
struct Before {
  const float* x;
  bool operator()(int32_t a, int32_t b) const { return x[a] > x[b] || (x[a] == x[b] && a < b); }
};

struct Scratch {
  std::vector<float> x, p, tie_x, masked, nucleus;
  std::vector<double> histogram;
  std::vector<int32_t> kept, all, small, ties, units;
  std::vector<int64_t> buckets, bin_first;
  std::vector<uint32_t> keys, keys2;
  std::vector<float> values, values2;
  uint32_t radix_counts[2][2048];
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

double sorted_sum(std::span<int32_t> idx, const float* p, Before before) {
  std::sort(idx.begin(), idx.end(), before);
  double s = 0;
  for (int32_t i : idx) s += p[i];
  return s;
}

// Σ p[i] over `set` added one by one in rank order, as a double: the reference's kept mass, exactly.
// `set` is not reordered; `s` provides work space.
double ranked_sum(std::span<const int32_t> set, const float* p, Before before, Scratch& s) {
  const auto n = static_cast<int64_t>(set.size());
  std::vector<int32_t>& small = s.small;
  if (n <= 512) {
    small.assign(set.begin(), set.end());
    return sorted_sum(small, p, before);
  }
  double total = 0;
  for (int32_t i : set) total += p[i];
  if (!(total > 0)) {  // all zero (or NaN: left to the sort)
    small.assign(set.begin(), set.end());
    return total == 0 ? 0.0 : sorted_sum(small, p, before);
  }
  const double upper = total * (1 + relative_bound(n));
  const int b = std::ilogb(upper);
  const double ulp = std::ldexp(1.0, b - 52), tau = std::ldexp(1.0, b - 29), binade = std::ldexp(1.0, b);
  // Large terms (multiples of ulp) add exactly in any order; they must precede every small one.
  double large = 0;
  int32_t last_large = -1, first_small = -1;
  small.clear();
  for (int32_t i : set) {
    if (p[i] >= tau) {
      large += p[i];
      if (last_large < 0 || before(last_large, i)) last_large = i;
    } else {
      small.push_back(i);
      if (first_small < 0 || before(i, first_small)) first_small = i;
    }
  }
  if (small.empty()) return large;
  if (last_large >= 0 && !before(last_large, first_small)) {
    ++fallback_counts().ranked_sum;
    small.assign(set.begin(), set.end());
    return sorted_sum(small, p, before);
  }
  double sum = large;
  std::size_t done = 0;
  // Below R's binade the grid is finer: add the small terms in rank order until the sum reaches it.
  for (std::size_t chunk = 64; sum < binade && done < small.size(); chunk *= 2) {
    const std::size_t end = std::min(small.size(), done + chunk);
    if (end < small.size()) std::nth_element(small.begin() + done, small.begin() + end, small.end(), before);
    std::sort(small.begin() + done, small.begin() + end, before);
    for (; done < end && sum < binade; ++done) sum += p[small[done]];
  }
  if (done == small.size()) return sum;
  if (sum >= 2 * binade) {  // cannot happen: upper bounds the sum
    ++fallback_counts().ranked_sum;
    small.assign(set.begin(), set.end());
    return sorted_sum(small, p, before);
  }
  // From here every partial sum lies in [binade, 2 binade): a grid of `ulp`.
  auto units = static_cast<int64_t>(sum / ulp);
  std::vector<int32_t>& ties = s.ties;
  ties.clear();
  int64_t added = 0;
  for (std::size_t j = done; j < small.size(); ++j) {
    const double q = p[small[j]] / ulp;  // exact: a power-of-two scaling, q < 2^23
    const double whole = std::floor(q), frac = q - whole;
    if (frac == 0.5) {
      ties.push_back(small[j]);
    } else {
      added += static_cast<int64_t>(whole) + (frac > 0.5 ? 1 : 0);
    }
  }
  if (!ties.empty()) {
    // A tie rounds to even: it needs the sum of everything ranked before it.
    std::sort(ties.begin(), ties.end(), before);
    std::vector<int64_t>& bucket = s.buckets;
    bucket.assign(ties.size() + 1, 0);
    for (std::size_t j = done; j < small.size(); ++j) {
      const int32_t i = small[j];
      const double q = p[i] / ulp;
      const double whole = std::floor(q), frac = q - whole;
      if (frac == 0.5) continue;
      const std::size_t k = before(ties.back(), i)
                                ? ties.size()
                                : static_cast<std::size_t>(std::upper_bound(ties.begin(), ties.end(), i, before) -
                                                           ties.begin());
      bucket[k] += static_cast<int64_t>(whole) + (frac > 0.5 ? 1 : 0);
    }
    for (std::size_t t = 0; t < ties.size(); ++t) {
      units += bucket[t];
      const int64_t base = units + static_cast<int64_t>(std::floor(p[ties[t]] / ulp));
      units = base + (base & 1);  // base + 1/2 to even
    }
    units += bucket[ties.size()];
  } else {
    units += added;
  }
  return static_cast<double>(units) * ulp;  // units < 2^53: exact
}

// One pass of an LSD radix sort of (key, value) pairs on the 11 key bits from `shift`, from
// (ka, va) [n] into (kb, vb) [n]. The array is cut into two halves counted and scattered side by side
// (measured: one or four pieces are slower; with one, a digit many keys share makes a chain of
// dependent updates of one counter).
void radix_pass(const uint32_t* ka, const float* va, uint32_t* kb, float* vb, std::size_t n, int shift,
                uint32_t (&at)[2][2048]) {
  const std::size_t half = n / 2;  // pieces [0, half) and [half, n)
  std::fill(&at[0][0], &at[0][0] + 2 * 2048, 0u);
  auto digit = [shift](uint32_t k) { return (k >> shift) & 2047u; };
  for (std::size_t j = 0; j < half; ++j) {
    ++at[0][digit(ka[j])];
    ++at[1][digit(ka[half + j])];
  }
  if (n % 2) ++at[1][digit(ka[n - 1])];
  uint32_t next = 0;  // at[q][d] becomes where piece q's first key of digit d goes
  for (int d = 0; d < 2048; ++d)
    for (int q = 0; q < 2; ++q) {
      const uint32_t c = at[q][d];
      at[q][d] = next;
      next += c;
    }
  auto move = [&](int q, std::size_t i) {
    const uint32_t to = at[q][digit(ka[i])]++;
    kb[to] = ka[i];
    vb[to] = va[i];
  };
  for (std::size_t j = 0; j < half; ++j) {
    move(0, j);
    move(1, half + j);
  }
  if (n % 2) move(1, n - 1);
}

// Σ p over the tokens with 0 < p < tau, added one by one in rank order to `start`. Equal x give
// equal p, so only the sequence of p in descending x matters, not the ids: (key of x, p) pairs are
// sorted by an LSD radix sort on the key (ascending key = descending x, 11-bit digits), then their p
// summed left to right. A digit all keys share is skipped.
double add_small_in_rank_order(const float* p, const float* x, int64_t V, float tau, double start, Scratch& s) {
  ++fallback_counts().small_radix;
  const auto n = static_cast<std::size_t>(V);
  s.keys.resize(n);
  s.keys2.resize(n);
  s.values.resize(n);
  s.values2.resize(n);
  uint32_t* ka = s.keys.data();
  uint32_t* kb = s.keys2.data();
  float* va = s.values.data();
  float* vb = s.values2.data();
  uint32_t all_or = 0, all_and = ~0u;
  std::size_t m = 0;  // the small terms, gathered without branches (a draft vocabulary leaves few)
  for (std::size_t i = 0; i < n; ++i) {
    const uint32_t u = std::bit_cast<uint32_t>(x[i]);
    const uint32_t key = ~((u & 0x80000000u) ? ~u : (u | 0x80000000u));  // ascending key = descending x
    const bool small = p[i] > 0 && p[i] < tau;
    ka[m] = key;
    va[m] = p[i];
    all_or |= small ? key : 0u;
    all_and &= small ? key : ~0u;
    m += small;
  }
  uint32_t(&at)[2][2048] = s.radix_counts;
  for (int shift = 0; shift < 32; shift += 11) {
    if ((((all_or ^ all_and) >> shift) & 2047u) == 0) continue;  // one digit for all: order unchanged
    radix_pass(ka, va, kb, vb, m, shift, at);
    std::swap(ka, kb);
    std::swap(va, vb);
  }
  double sum = start;
  for (std::size_t i = 0; i < m; ++i) sum += va[i];
  return sum;
}

// ranked_sum over the whole vocabulary without an index list, in vectorised passes
// (core/kernels/sampling_kernels.h): the total; the large terms' sum with the logit ranges of both
// groups; then, when the running sum is already in R's binade, the rounded contributions of the small
// terms, with a few half-ulp ties sorted and resolved in rank order from the contributions ranked
// before each. Otherwise (the sum crosses into R's binade among the small terms, or many ties) the
// small terms are radix-sorted and added one by one.
double ranked_sum_all(const float* p, const float* x, int64_t V, Scratch& s) {
  const Before before{x};
  const kernels::SamplingKernels& k = kernels::sampling_kernels();
  auto general = [&] {
    if (V > 512) ++fallback_counts().ranked_indexed;
    std::vector<int32_t>& all = s.all;
    all.resize(static_cast<std::size_t>(V));
    std::iota(all.begin(), all.end(), 0);
    return ranked_sum(all, p, before, s);
  };
  const double total = k.sum_f32(p, V);
  if (V <= 512 || !(total > 0) || !std::isfinite(total)) return general();
  const double upper = total * (1 + relative_bound(V));
  const int b = std::ilogb(upper);
  const double ulp = std::ldexp(1.0, b - 52), per_ulp = std::ldexp(1.0, 52 - b);
  const auto tau = static_cast<float>(std::ldexp(1.0, b - 29));
  const double binade = std::ldexp(1.0, b);
  kernels::LargeTerms large;
  k.large_terms(p, x, V, tau, &large);
  if (large.lowest_large_x == INFINITY || !(large.lowest_large_x > large.highest_small_x) ||
      std::isnan(large.highest_small_x))
    return general();
  if (large.highest_small_x == -INFINITY) return large.sum;  // no small term above 0
  // Below R's binade the grid is finer and the running sum crosses into R's binade somewhere among the
  // small terms: add them in rank order.
  double sum = large.sum;
  if (sum < binade) return add_small_in_rank_order(p, x, V, tau, sum, s);
  // From here every partial sum lies in [binade, 2 binade), on a grid of `ulp`: a non-tie term adds
  // round(p / ulp) ulps wherever it comes.
  s.units.resize(static_cast<std::size_t>(V));
  int32_t* units = s.units.data();
  kernels::SmallUnits small;
  k.small_units(p, V, tau, per_ulp, units, &small);
  const auto total_units = static_cast<int64_t>(small.units);
  const int64_t ties = small.ties;
  auto acc = static_cast<int64_t>(sum * per_ulp);  // sum is a multiple of ulp below 2^53 ulps
  if (ties == 0) return static_cast<double>(acc + total_units) * ulp;
  if (ties > 32) return add_small_in_rank_order(p, x, V, tau, sum, s);
  // A tie (an odd multiple of ulp / 2) rounds to even: it needs the units ranked before it.
  std::vector<int32_t>& tie = s.ties;
  tie.clear();
  for (int64_t j = 0; j < V; ++j)
    if (units[j] < 0) tie.push_back(static_cast<int32_t>(j));
  std::sort(tie.begin(), tie.end(), before);
  const auto m = static_cast<int64_t>(tie.size());
  std::vector<int64_t>& bucket = s.buckets;  // bucket[t]: units ranked between ties t - 1 and t
  bucket.assign(static_cast<std::size_t>(m) + 1, 0);
  // Equal x means equal p, so a non-tie never shares a tie's x: a term with units > 0 goes after the
  // ties with a higher x. Counting those: bins of x over the ties' range, a table of the ties in
  // earlier bins (a lower bound, as the bin index is monotone in x), then a short scan.
  std::vector<float>& tx = s.tie_x;
  tx.resize(static_cast<std::size_t>(m));
  for (int64_t t = 0; t < m; ++t) tx[t] = x[tie[t]];
  const float hi = tx[0], lo = tx[m - 1];
  const int64_t bins = std::clamp<int64_t>(16 * m, 64, 65536);  // ties crowd near tau: fine bins
  const double scale = hi > lo ? static_cast<double>(bins) / (static_cast<double>(hi) - lo) : 0.0;
  auto bin_of = [&](float xv) {
    const double f = (static_cast<double>(hi) - xv) * scale;
    return f <= 0 ? int64_t{0} : f >= static_cast<double>(bins - 1) ? bins - 1 : static_cast<int64_t>(f);
  };
  std::vector<int64_t>& first = s.bin_first;  // first[β]: ties in bins before β
  first.assign(static_cast<std::size_t>(bins) + 1, 0);
  for (int64_t t = 0; t < m; ++t) ++first[bin_of(tx[t]) + 1];
  for (int64_t q = 0; q < bins; ++q) first[q + 1] += first[q];
  int64_t ranked_before_last = 0;
  for (int64_t j = 0; j < V; ++j) {
    const int32_t u = units[j];
    if (u <= 0 || !(x[j] > lo)) continue;
    int64_t t = x[j] > hi ? 0 : first[bin_of(x[j])];
    while (t < m && tx[t] > x[j]) ++t;
    bucket[t] += u;
    ranked_before_last += u;
  }
  bucket[m] += total_units - ranked_before_last;
  for (int64_t t = 0; t < m; ++t) {
    acc += bucket[t];
    const int64_t base = acc + static_cast<int64_t>(std::floor(static_cast<double>(p[tie[t]]) * per_ulp));
    acc = base + (base & 1);  // base + 1/2, to even
  }
  acc += bucket[m];
  return static_cast<double>(acc) * ulp;  // acc < 2^53: exact
}

// out[i] = p[i] for the tokens ranked up to `last` (a rank prefix), 0 after it. Zeros add nothing to a
// sum wherever they rank, so the prefix's ranked sum is ranked_sum_all of out.
void mask_after(const float* p, const float* x, int64_t V, int32_t last, float* out) {
  const float xl = x[last];
  for (int64_t i = 0; i < V; ++i) out[i] = (x[i] > xl || (x[i] == xl && i <= last)) ? p[i] : 0.f;
}

// The top-p cut of the reference: the first rank position where the left-to-right sum of
// p / mass_k reaches top_p. Found from a histogram of x (bins of 1/32 below the maximum): the bins
// before the crossing give the sum before it (within the bound e), the crossing bin's tokens are
// sorted and walked. mass_k may be known only within a relative `mass_bound` (each p / mass_k then
// lies within about twice that of the p / mass_k computed here). Returns 1 with *last set, 0 when the
// sum never reaches top_p (all kept), or -1 when the bounds cannot decide (the caller sorts).
int nucleus_cut(const float* p, const float* x, int64_t V, float max, double mass_k, double mass_bound, float top_p,
                Scratch& s, int32_t* last) {
  constexpr int64_t kBins = 4096;
  constexpr float kWidth = 128.f;  // below max - 104, exp underflows: p = 0
  constexpr float kPerBin = kBins / kWidth;
  auto bin_of = [&](float xv) {
    const float f = (max - xv) * kPerBin;
    return f <= 0.f ? int64_t{0} : f >= static_cast<float>(kBins - 1) ? kBins - 1 : static_cast<int64_t>(f);
  };
  std::vector<double>& h = s.histogram;
  h.assign(kBins, 0.0);
  for (int64_t i = 0; i < V; ++i)
    if (p[i] > 0) h[static_cast<std::size_t>(bin_of(x[i]))] += p[i];
  const double e = relative_bound(V) + 0x1p-48 + 2 * mass_bound;
  const double target = top_p;
  double before = 0;  // mass of bins [0, b)
  int64_t b = 0;
  for (; b < kBins && (before + h[b]) / mass_k < target; ++b) before += h[b];
  if (b == kBins) return before / mass_k * (1 + e) < target ? 0 : -1;
  // Start the walk early enough that everything before it is surely below top_p.
  int64_t first = b;
  while (first > 0 && before / mass_k * (1 + e) >= target) {
    --first;
    before = 0;
    for (int64_t c = 0; c < first; ++c) before += h[c];
  }
  if (before / mass_k * (1 + e) >= target) return -1;
  std::vector<int32_t>& zone = s.small;
  zone.clear();
  for (int64_t i = 0; i < V; ++i) {
    if (!(p[i] > 0)) continue;
    const int64_t bi = bin_of(x[i]);
    if (bi >= first && bi <= b) zone.push_back(static_cast<int32_t>(i));
  }
  std::sort(zone.begin(), zone.end(), Before{x});
  double cum = before / mass_k;
  for (int32_t i : zone) {
    cum += p[i] / mass_k;
    if (cum * (1 - e) >= target) {
      *last = i;
      return 1;
    }
    if (cum * (1 + e) >= target) return -1;
  }
  return -1;
}

// The kept set's first `count` in rank order, any order among them (count < set size).
void select_first(std::vector<int32_t>& idx, int64_t V, int64_t count, Before before) {
  idx.clear();
  if (count <= 256) {
    // A heap of the best `count`: its top is the worst kept one.
    for (int32_t i = 0; i < V; ++i) {
      if (static_cast<int64_t>(idx.size()) < count) {
        idx.push_back(i);
        std::push_heap(idx.begin(), idx.end(), before);
      } else if (before(i, idx.front())) {
        std::pop_heap(idx.begin(), idx.end(), before);
        idx.back() = i;
        std::push_heap(idx.begin(), idx.end(), before);
      }
    }
    return;
  }
  idx.resize(static_cast<std::size_t>(V));
  std::iota(idx.begin(), idx.end(), 0);
  std::nth_element(idx.begin(), idx.begin() + count, idx.end(), before);
  idx.resize(static_cast<std::size_t>(count));
}

// The reference's left-to-right draw for a given uniform.
int32_t draw_left_to_right(std::span<const float> p, double uniform) {
  double total = 0;
  for (float v : p) total += v;
  const double u = uniform * total;
  double cum = 0;
  int32_t last_nonzero = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] <= 0.f) continue;
    cum += p[i];
    last_nonzero = static_cast<int32_t>(i);
    if (u < cum) return last_nonzero;
  }
  return last_nonzero;
}

// The reference's draw for `uniform`, when blocked sums prove it: the left-to-right sums the reference
// compares are taken to lie within relative `e` and absolute `slack` of the blocked ones (slack covers
// a p known only within that summed width). Returns -1 when the bounds cannot decide.
int32_t draw_bounded(std::span<const float> p, double uniform, double e, double slack) {
  constexpr int64_t kBlock = 512;
  const auto n = static_cast<int64_t>(p.size());
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  if (blocks > 4096) return -1;
  const auto sum = kernels::sampling_kernels().sum_f32;
  double prefix[4097];
  prefix[0] = 0;
  for (int64_t j = 0; j < blocks; ++j)
    prefix[j + 1] = prefix[j] + sum(p.data() + j * kBlock, std::min(kBlock, n - j * kBlock));
  const double total = prefix[blocks];
  if (!(total > 0) || !std::isfinite(total)) return -1;
  const double u = uniform * total, u_low = uniform * (total * (1 - e) - slack),
               u_high = uniform * (total * (1 + e) + slack);
  const int64_t j = std::upper_bound(prefix + 1, prefix + blocks + 1, u) - (prefix + 1);
  if (j >= blocks) return -1;
  double cum = prefix[j];
  for (int64_t i = j * kBlock, end = std::min(n, i + kBlock); i < end; ++i) {
    if (p[i] <= 0.f) continue;
    const double before = cum;
    cum += p[i];
    if (u < cum) {
      // The left-to-right cumulative sums at i and before it are within the bounds of these.
      if (u_high < cum * (1 - e) - slack && u_low >= before * (1 + e) + slack) return static_cast<int32_t>(i);
      return -1;
    }
  }
  return -1;
}

int32_t draw_fast(std::span<const float> p, double uniform) {
  const int32_t token = draw_bounded(p, uniform, relative_bound(static_cast<int64_t>(p.size())), 0.0);
  if (token >= 0) return token;
  ++fallback_counts().draw;
  return draw_left_to_right(p, uniform);
}

// x = logits / T and p = softmax(x) as the reference computes them, into s.x and s.p [V]; returns max x.
// softmax: exp, the left-to-right double sum's reciprocal as a float, a float product.
float softmax(std::span<const float> logits, float temperature, Scratch& s) {
  const auto V = static_cast<int64_t>(logits.size());
  s.x.resize(static_cast<std::size_t>(V));
  s.p.resize(static_cast<std::size_t>(V));
  float* x = s.x.data();
  float* p = s.p.data();
  const kernels::SamplingKernels& k = kernels::sampling_kernels();
  const float max = k.scale_max(logits.data(), temperature, x, V);
  exp_shifted(x, max, p, V);
  const double sum = k.sum_f32(p, V), e = relative_bound(V);
  float inv = static_cast<float>(1.0 / (sum * (1 + e)));
  if (inv != static_cast<float>(1.0 / (sum * (1 - e)))) {
    ++fallback_counts().softmax_sum;
    inv = static_cast<float>(1.0 / sum_left_to_right(p, V));
  }
  k.scale_f32(p, V, inv);
  return max;
}

}  // namespace

bool left_to_right_sum_exceeds(std::span<const float> p, double threshold) {
  const auto n = static_cast<int64_t>(p.size());
  const double s = kernels::sampling_kernels().sum_f32(p.data(), n), e = relative_bound(n);
  if (s * (1 - e) > threshold) return true;
  if (s * (1 + e) <= threshold) return false;
  return sum_left_to_right(p.data(), n) > threshold;
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) { params_.validate(); }

std::vector<float> Sampler::distribution(std::span<const float> logits) const {
  std::vector<float> q(logits.size());
  distribution(logits, q);
  return q;
}

void Sampler::distribution(std::span<const float> logits, std::span<float> q) const {
  require(q.size() == logits.size(), "distribution: output size differs from the logits'");
  const auto V = static_cast<int64_t>(logits.size());
  if (V == 0) return;
  if (params_.greedy()) {
    std::fill(q.begin(), q.end(), 0.f);
    q[argmax(logits.data(), V)] = 1.f;
    return;
  }
  Scratch& s = scratch();
  const float max = softmax(logits, params_.temperature, s);
  float* x = s.x.data();
  float* p = s.p.data();
  const kernels::SamplingKernels& k = kernels::sampling_kernels();

  const Before before{x};
  const bool top_k = truncates_top_k(V);
  const bool top_p = params_.top_p < 1.f;
  if (!top_k && !top_p) {
    const double mass = ranked_sum_all(p, x, V, s);
    if (mass == 1.0) {
      std::copy(p, p + V, q.begin());
    } else {
      k.divide_f32(p, mass, q.data(), V);
    }
    return;
  }
  std::vector<int32_t>& kept = s.kept;
  double mass_k = std::numeric_limits<double>::quiet_NaN();  // known when the fast cut gave up
  if (top_k) select_first(kept, V, params_.top_k, before);
  if (!top_k || params_.top_k > 512) {
    // A large kept set: masks instead of index lists.
    const float* pk = p;
    if (top_k) {
      const int32_t worst = *std::max_element(kept.begin(), kept.end(), before);
      s.masked.resize(static_cast<std::size_t>(V));
      mask_after(p, x, V, worst, s.masked.data());
      pk = s.masked.data();
    }
    const float* pn = pk;
    int cut = 0;
    int32_t last = -1;
    if (top_p) {
      // The cut needs the kept mass only within a bound: a fast sum first, the rank-order one when
      // that cannot decide or when everything is kept (the mass then divides).
      cut = nucleus_cut(pk, x, V, max, k.sum_f32(pk, V), relative_bound(V), params_.top_p, s, &last);
      if (cut <= 0) mass_k = ranked_sum_all(pk, x, V, s);
      if (cut < 0) cut = nucleus_cut(pk, x, V, max, mass_k, 0.0, params_.top_p, s, &last);
    } else {
      mass_k = ranked_sum_all(pk, x, V, s);
    }
    if (cut >= 0) {
      if (cut > 0) {
        s.nucleus.resize(static_cast<std::size_t>(V));
        mask_after(pk, x, V, last, s.nucleus.data());
        pn = s.nucleus.data();
      }
      const double mass = pn == pk ? mass_k : ranked_sum_all(pn, x, V, s);
      k.divide_f32(pn, mass, q.data(), V);
      return;
    }
    ++fallback_counts().nucleus;
    if (!top_k) {
      kept.resize(static_cast<std::size_t>(V));
      std::iota(kept.begin(), kept.end(), 0);
    }
  }
  // A small top-k set, or a top-p cut the bound could not decide: the kept set sorted as far as needed.
  auto keep = static_cast<int64_t>(kept.size());
  bool ranked = false;  // kept[0, keep) in rank order
  if (top_p) {
    if (std::isnan(mass_k)) mass_k = ranked_sum(kept, p, before, s);
    // The ranked prefix grows by logit thresholds; each new part ranks after the previous ones.
    double cum = 0;
    int64_t r = 0, sorted = 0;
    bool reached = false;
    for (float width = 8.f; !reached && sorted < keep; width *= 2.f) {
      // Past width 128 the rest holds only p = 0 (exp underflows below -104): take all of it.
      const float floor_x = width <= 128.f ? max - width : -INFINITY;
      auto part_end = floor_x == -INFINITY
                          ? kept.end()
                          : std::partition(kept.begin() + sorted, kept.end(), [&](int32_t i) { return x[i] >= floor_x; });
      std::sort(kept.begin() + sorted, part_end, before);
      sorted = part_end - kept.begin();
      for (; r < sorted; ++r) {
        cum += p[kept[r]] / mass_k;
        if (cum >= params_.top_p) {
          reached = true;
          break;
        }
      }
      if (floor_x == -INFINITY) break;
    }
    keep = std::min(keep, r + 1);
    ranked = true;
  }
  double mass;
  if (ranked) {
    mass = 0;
    for (int64_t r = 0; r < keep; ++r) mass += p[kept[r]];
  } else {
    mass = ranked_sum(std::span(kept.data(), static_cast<std::size_t>(keep)), p, before, s);
  }
  std::fill(q.begin(), q.end(), 0.f);
  for (int64_t r = 0; r < keep; ++r) q[kept[r]] = static_cast<float>(p[kept[r]] / mass);
}

void Sampler::distribution_within_ulp(std::span<const float> logits, std::span<float> q) const {
  require(q.size() == logits.size(), "distribution: output size differs from the logits'");
  const auto V = static_cast<int64_t>(logits.size());
  if (V == 0 || params_.greedy() || truncates_top_k(V) || params_.top_p < 1.f) return distribution(logits, q);
  Scratch& s = scratch();
  softmax(logits, params_.temperature, s);
  const kernels::SamplingKernels& k = kernels::sampling_kernels();
  k.divide_f32(s.p.data(), k.sum_f32(s.p.data(), V), q.data(), V);
}

// The other tokens get p = 0, which adds nothing to any sum and ranks last, so the distribution of the
// vocabulary's logits in ascending id order (the reference's order for ties and draws) has the same
// floats, scattered back.
std::vector<float> Sampler::distribution(std::span<const float> logits, std::span<const int32_t> vocabulary) const {
  thread_local std::vector<int32_t> source, ids;  // the last vocabulary, and it in ascending order
  if (!std::equal(source.begin(), source.end(), vocabulary.begin(), vocabulary.end())) {
    ids.assign(vocabulary.begin(), vocabulary.end());
    std::sort(ids.begin(), ids.end());
    require(std::adjacent_find(ids.begin(), ids.end()) == ids.end() && (ids.empty() || ids.front() >= 0),
            "distribution: the vocabulary must hold distinct non-negative token ids");
    source.assign(vocabulary.begin(), vocabulary.end());
  }
  require(ids.empty() || ids.back() < static_cast<int32_t>(logits.size()),
          "distribution: a vocabulary token id is beyond the logits");
  std::vector<float> compact(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) compact[i] = logits[static_cast<std::size_t>(ids[i])];
  const auto finite = [](float v) { return v != -std::numeric_limits<float>::infinity(); };
  if (ids.empty() ||
      std::count_if(logits.begin(), logits.end(), finite) != std::count_if(compact.begin(), compact.end(), finite))
    return distribution(logits);
  const std::vector<float> q = distribution(std::span<const float>(compact));
  std::vector<float> out(logits.size(), 0.f);
  for (std::size_t i = 0; i < ids.size(); ++i) out[static_cast<std::size_t>(ids[i])] = q[i];
  return out;
}

double Sampler::uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

int32_t Sampler::draw(std::span<const float> p) { return draw_fast(p, uniform()); }

bool Sampler::truncates_top_k(int64_t V) const { return params_.top_k > 0 && params_.top_k < V; }

int32_t Sampler::sample(std::span<const float> logits) {
  const auto V = static_cast<int64_t>(logits.size());
  if (params_.greedy()) return static_cast<int32_t>(argmax(logits.data(), V));
  thread_local std::vector<float> q;
  q.resize(logits.size());
  const double u = uniform();
  if (V > 0 && !truncates_top_k(V) && params_.top_p >= 1.f) {
    // Nothing truncated: the draw needs q = float(p / mass) only as far as it decides the token. The
    // mass in rank order (the costly part of distribution()) lies within a relative bound of a fast
    // sum; q from that sum, with the width the bound allows each q, decides the draw but for a
    // vanishing share of uniforms, which take the exact path below.
    Scratch& s = scratch();
    softmax(logits, params_.temperature, s);
    const kernels::SamplingKernels& k = kernels::sampling_kernels();
    const double sum = k.sum_f32(s.p.data(), V);
    const double width = k.divide_bounded(s.p.data(), sum, relative_bound(V) + 0x1p-48, q.data(), V);
    // The reference sums the exact q; these differ from q by at most `width` in all, so its sums lie
    // within twice the usual bound and twice the width of the blocked sums of q.
    const int32_t token = draw_bounded(q, u, 2 * relative_bound(V) + 0x1p-50, 2 * width);
    if (token >= 0) return token;
    ++fallback_counts().approximate_mass;
  }
  distribution(logits, q);
  return draw_fast(q, u);
}

}  // namespace eaglerun
