// ctnn/kernels/scalar.hpp - plain C++ kernels.
//
// Two roles: the kernel back end of a CTNN_PURE_SCALAR build, and the oracle every Highway
// kernel is tested against (tests/kernels_test.cpp). They are written for obviousness, not
// speed: one loop nest per formula, in the same memory layout as the Highway kernels.
//
// Layout shared by all kernels (sizes are template parameters, strides in elements):
//   * a dense layer stores its weights transposed and padded, wt[In][OutStride], so that
//     one input value times one weight row updates a whole vector of outputs;
//   * activations are row-major [Batch][Stride], Stride = padded(width); padded lanes are
//     written but never read as inputs, and their gradients are kept at zero.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "../layers/activations.hpp"
#include "gradient_source.hpp"
#include "optimizer_constants.hpp"
#include "subnormal.hpp"

namespace ctnn::kernels::scalar {

/// c[r][j] = act(init[j] + sum_k a[r*ARow + k*ACol] * b[k][j]) for r < M, j < Stride.
/// `init` may be null (start from zero). Dense forward is (x, wt); the weight gradient is
/// (x transposed, dz).
template <class Act, std::size_t M, std::size_t K, std::size_t ARow, std::size_t ACol, std::size_t Stride, class T>
void gemm_bcast(const T* a, const T* b, const std::type_identity_t<T>* init, T* c) noexcept {
  for (std::size_t r = 0; r < M; ++r) {
    for (std::size_t j = 0; j < Stride; ++j) {
      T sum = init ? init[j] : T(0);
      for (std::size_t k = 0; k < K; ++k) sum += a[r * ARow + k * ACol] * b[k * Stride + j];
      c[r * Stride + j] = Act::apply(sum);
    }
  }
}

/// dx[b][i] = sum_o dz[b][o] * wt[i][o] for i < In; dx[b][In..DXStride) = 0.
template <std::size_t Batch, std::size_t In, std::size_t DXStride, std::size_t OutStride, class T>
void dense_backward_input(const T* dz, const T* wt, T* dx) noexcept {
  for (std::size_t b = 0; b < Batch; ++b) {
    for (std::size_t i = 0; i < DXStride; ++i) {
      T sum = T(0);
      if (i < In)
        for (std::size_t o = 0; o < OutStride; ++o) sum += dz[b * OutStride + o] * wt[i * OutStride + o];
      dx[b * DXStride + i] = sum;
    }
  }
}

/// out[j] = sum_r a[r][j] for j < Stride (the bias gradient).
template <std::size_t Rows, std::size_t Stride, class T>
void column_sums(const T* a, T* out) noexcept {
  for (std::size_t j = 0; j < Stride; ++j) {
    T sum = T(0);
    for (std::size_t r = 0; r < Rows; ++r) sum += a[r * Stride + j];
    out[j] = sum;
  }
}

/// y = act(x), element-wise over Count values (in place allowed).
template <class Act, std::size_t Count, class T>
void activation_forward(const T* x, T* y) noexcept {
  for (std::size_t i = 0; i < Count; ++i) y[i] = Act::apply(x[i]);
}

/// dx = dy * act'(x) with act' taken from the output y (in place allowed: dx == dy).
template <class Act, std::size_t Count, class T>
void activation_backward(const T* y, const T* dy, T* dx) noexcept {
  for (std::size_t i = 0; i < Count; ++i) dx[i] = dy[i] * Act::derivative_from_output(y[i]);
}

/// sum of x[i]^2 over any n values, each squared and summed in double (no square passes the
/// largest float or falls below the smallest).
template <class T>
double sum_of_squares_in_double(const T* x, std::size_t n) noexcept {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += double(x[i]) * double(x[i]);
  return sum;
}

// The fused update kernels: one pass over a parameter buffer p, its gradient g and the
// optimizer's state; each returns the squared norm of the update it applied (for the
// gradient-health report). n is a whole number of vectors (buffers are padded). State values
// below the smallest normal are stored as zero (kernels/subnormal.hpp).

/// torch.optim.SGD (with a momentum buffer b; plain SGD when momentum is 0).
template <class T, class Gradient>
double sgd_update(T* p, const Gradient& g, T* b, std::size_t rows, std::size_t width, const sgd_constants<T>& c) noexcept {
  double moved = 0;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t o = 0; o < width; ++o) {
      const std::size_t i = r * width + o;
      T d = gradient_at(g, r, width, o);
      if (c.weight_decay != T(0)) d = d + c.weight_decay * p[i];
      if (c.momentum != T(0)) {
        b[i] = flush_subnormal(c.first_step ? d : c.momentum * b[i] + c.keep * d);
        d = c.nesterov ? d + c.momentum * b[i] : b[i];
      }
      const T update = c.learning_rate * d;
      p[i] = p[i] - update;
      if (c.measure_update) moved += double(update) * double(update);
    }
  return moved;
}

/// torch.optim.RMSprop: square average s, momentum buffer b, gradient average a (centered).
template <class T, class Gradient>
double rmsprop_update(T* p, const Gradient& g, T* s, T* b, T* a, std::size_t rows, std::size_t width,
                      const rmsprop_constants<T>& c) noexcept {
  double moved = 0;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t o = 0; o < width; ++o) {
      const std::size_t i = r * width + o;
      T d = gradient_at(g, r, width, o);
      if (c.weight_decay != T(0)) d = d + c.weight_decay * p[i];
      s[i] = flush_subnormal(c.alpha * s[i] + c.rest * d * d);
      T denom;
      if (c.centered) {
        a[i] = flush_subnormal(c.alpha * a[i] + c.rest * d);
        denom = std::sqrt(s[i] - a[i] * a[i]) + c.eps;
      } else {
        denom = std::sqrt(s[i]) + c.eps;
      }
      T update;
      if (c.momentum > T(0)) {
        b[i] = flush_subnormal(c.momentum * b[i] + d / denom);
        update = c.learning_rate * b[i];
      } else {
        update = c.learning_rate * (d / denom);
      }
      p[i] = p[i] - update;
      moved += double(update) * double(update);
    }
  return moved;
}

/// torch.optim.Adam (Decoupled: AdamW); v_max only with AmsGrad.
template <bool Decoupled, bool AmsGrad, class T, class Gradient>
double adam_update(T* p, const Gradient& g, T* m, T* v, T* v_max, std::size_t rows, std::size_t width,
                   const adam_constants<T>& c) noexcept {
  double moved = 0;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t o = 0; o < width; ++o) {
      const std::size_t i = r * width + o;
      const T old = p[i];
      T d = gradient_at(g, r, width, o);
      if constexpr (Decoupled) {
        if (c.weight_decay != T(0)) p[i] = p[i] * c.decay;
      } else {
        if (c.weight_decay != T(0)) d = d + c.weight_decay * p[i];
      }
      m[i] = flush_subnormal(c.beta1 * m[i] + c.rest1 * d);
      v[i] = flush_subnormal(c.beta2 * v[i] + c.rest2 * d * d);
      T v_hat = v[i];
      if constexpr (AmsGrad) v_hat = v_max[i] = v_max[i] > v[i] ? v_max[i] : v[i];
      p[i] = p[i] - c.step_size * (m[i] / (std::sqrt(v_hat) * c.inverse_correction2_sqrt + c.eps));
      moved += double(p[i] - old) * double(p[i] - old);
    }
  return moved;
}

}  // namespace ctnn::kernels::scalar
