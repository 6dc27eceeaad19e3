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

#include <cstddef>
#include <type_traits>

#include "../layers/activations.hpp"

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

}  // namespace ctnn::kernels::scalar
