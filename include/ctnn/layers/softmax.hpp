// ctnn/layers/softmax.hpp - softmax over each row, as a layer.
//
// For training a classifier, prefer logits (no softmax layer) with
// ctnn::softmax_cross_entropy: the loss fuses softmax and log in a log-sum-exp stable form.
// This layer is for networks whose users want probabilities out of inference.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>

#include "../config.hpp"
#include "layer_kind.hpp"
#include "../rng.hpp"

namespace ctnn {

/// out[i] = exp(x[i] - max x) for i < n; returns their sum and sets `max`: the stable first half
/// of softmax, shared by this layer and the fused softmax_cross_entropy loss.
template <class T>
T shifted_exponentials(const T* x, T* out, std::size_t n, T& max) noexcept {
  max = x[0];
  for (std::size_t i = 1; i < n; ++i) max = x[i] > max ? x[i] : max;
  T sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += (out[i] = std::exp(x[i] - max));
  return sum;
}

/// Layer spec: softmax over the previous layer's outputs.
struct softmax {
  static constexpr const char* name = "softmax";
};

template <class T, std::size_t N>
struct softmax_layer {
  using value_type = T;
  static constexpr layer_kind kind = layer_kind::softmax;
  static constexpr const char* name = "softmax";
  static constexpr std::size_t in_size = N;
  static constexpr std::size_t out_size = N;
  static constexpr std::size_t out_stride = padded<T>(N);
  static constexpr std::size_t parameter_count = 0;
  static constexpr bool accepts_unpadded_input = false;
  static constexpr std::size_t buffer_count = 0;

  /// y = exp(x - max x) / sum exp(x - max x) per row; padded lanes are set to zero.
  template <std::size_t Batch, std::size_t XStride>
  void forward(const T* x, T* y) const noexcept {
    for (std::size_t b = 0; b < Batch; ++b) {
      const T* xr = x + b * XStride;
      T* yr = y + b * out_stride;
      T max;
      const T inv = T(1) / shifted_exponentials(xr, yr, N, max);
      for (std::size_t i = 0; i < N; ++i) yr[i] *= inv;
      for (std::size_t i = N; i < out_stride; ++i) yr[i] = T(0);
    }
  }

  /// dx = y * (dy - sum(dy * y)) per row.
  template <std::size_t Batch, std::size_t XStride, bool WithInputGradient>
  void backward(const T*, const T* y, T* dy, T* dx, softmax_layer&) const noexcept {
    if constexpr (WithInputGradient) {
      for (std::size_t b = 0; b < Batch; ++b) {
        const T* yr = y + b * out_stride;
        const T* gr = dy + b * out_stride;
        T dot = 0;
        for (std::size_t i = 0; i < N; ++i) dot += gr[i] * yr[i];
        T* xr = dx + b * XStride;
        for (std::size_t i = 0; i < N; ++i) xr[i] = yr[i] * (gr[i] - dot);
        for (std::size_t i = N; i < XStride; ++i) xr[i] = T(0);
      }
    }
  }

  std::span<T> buffer(std::size_t) noexcept { return {}; }
  template <class Self, class F>
  static constexpr void visit_parameters(Self&, F&&) {}
  void initialize(rng&) noexcept {}
};

}  // namespace ctnn
