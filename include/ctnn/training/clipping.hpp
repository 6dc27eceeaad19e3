// ctnn/training/clipping.hpp - gradient clipping, torch.nn.utils' definitions.
//
//   clip by value:       g = clamp(g, -v, v)                                (clip_grad_value_)
//   clip by global norm: n = ||all gradients||_2; g *= min(1, c / (n + 1e-6))  (clip_grad_norm_)
#pragma once

#include <cmath>
#include <cstddef>
#include <span>

#include "../kernels/kernels.hpp"

namespace ctnn {

/// Sum of squares of every trainable gradient, in double (NaN or inf if any is not finite).
template <class Net>
double gradient_sum_of_squares(Net& grads) noexcept {
  using T = typename Net::value_type;
  double sum = 0;
  grads.zip_buffers([&](std::span<T> g) { sum += kernels::active::sum_of_squares_in_double(g.data(), g.size()); });
  return sum;
}

/// Clamps every gradient to [-limit, limit].
template <class Net>
void clip_gradients_by_value(Net& grads, float limit) noexcept {
  using T = typename Net::value_type;
  const T hi = T(limit), lo = -T(limit);
  grads.zip_buffers([&](std::span<T> g) {
    for (T& v : g) v = v > hi ? hi : (v < lo ? lo : v);
  });
}

/// The factor clip_grad_norm_ applies to gradients of global L2 norm `norm`: 1 when the norm
/// is at most max_norm.
inline double norm_clipping_factor(float max_norm, double norm) noexcept {
  const double coefficient = double(max_norm) / (norm + 1e-6);
  return coefficient < 1.0 ? coefficient : 1.0;
}

/// Scales gradients whose global L2 norm is `norm` so that it becomes at most max_norm.
template <class Net>
void scale_gradients_to_norm(Net& grads, float max_norm, double norm) noexcept {
  using T = typename Net::value_type;
  const double coefficient = norm_clipping_factor(max_norm, norm);
  if (coefficient < 1.0) {
    const T c = T(coefficient);
    grads.zip_buffers([&](std::span<T> g) {
      for (T& v : g) v *= c;
    });
  }
}

/// Scales the gradients so that their global L2 norm is at most max_norm; returns the norm
/// before clipping.
template <class Net>
double clip_gradients_by_norm(Net& grads, float max_norm) noexcept {
  const double norm = std::sqrt(gradient_sum_of_squares(grads));
  scale_gradients_to_norm(grads, max_norm, norm);
  return norm;
}

}  // namespace ctnn
