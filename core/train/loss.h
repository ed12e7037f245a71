#pragma once
// The EAGLE-1 training loss of one output position (paper sec. 4; official train/main.py):
//   feature: SmoothL1(f^, f) with beta 1, averaged over the H dims:
//            (1/H) sum_d [ |e| < 1 ? e^2 / 2 : |e| - 1/2 ],  e = f^_d - f_d
//   token:   cross-entropy of the draft's log_softmax(z^) against the target's soft distribution
//            p = softmax(z):  -sum_v p_v log softmax(z^)_v,   z^ = LMhead(f^), z = LMhead(f)
// Gradients are scaled by `scale` (the loss weight over the number of positions in the batch).
#include <cstdint>

namespace eaglerun::train {

// Returns the loss of one row; grad[H] += scale * d loss / d pred.
template <typename T>
double smooth_l1_row(const T* pred, const T* target, int64_t h, T scale, T* grad);

// Returns the loss of one row and sets *entropy to H(p) = -sum p log p (CE - H(p) = KL(p || q) >= 0,
// the part training can remove). target_logits[V] is overwritten with p; draft_logits[V] with
// scale * (softmax(z^) - p), the gradient with respect to z^.
template <typename T>
double soft_cross_entropy_row(T* draft_logits, T* target_logits, int64_t v, T scale, double* entropy);

template <>
double soft_cross_entropy_row<float>(float* draft_logits, float* target_logits, int64_t v, float scale,
                                     double* entropy);

// In-place softmax of one row; returns log(sum exp(x - max)) + max.
template <typename T>
double softmax_row(T* x, int64_t n);

}  // namespace eaglerun::train
