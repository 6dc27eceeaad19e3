// ctnn/layers/activation_layer.hpp - an element-wise activation as a layer of its own.
//
// ctnn::network fuses an activation that follows a dense layer into that layer; this type
// is what remains where no fusion applies (an activation first, or after softmax).
#pragma once

#include <cstddef>
#include <span>

#include "../config.hpp"
#include "layer_kind.hpp"
#include "../kernels/kernels.hpp"
#include "../rng.hpp"
#include "activations.hpp"

namespace ctnn {

template <class T, std::size_t N, class Act>
struct activation_layer {
  using value_type = T;
  static constexpr layer_kind kind = layer_kind::activation;
  using activation = Act;
  static constexpr const char* name = Act::name;
  static constexpr std::size_t in_size = N;
  static constexpr std::size_t out_size = N;
  static constexpr std::size_t out_stride = padded<T>(N);
  static constexpr std::size_t parameter_count = 0;
  static constexpr bool accepts_unpadded_input = false;
  static constexpr std::size_t buffer_count = 0;

  template <std::size_t Batch, std::size_t XStride>
  void forward(const T* x, T* y) const noexcept {
    static_assert(XStride == out_stride, "activation_layer: input rows must be padded");
    kernels::active::activation_forward<Act, Batch * out_stride>(x, y);
  }

  template <std::size_t Batch, std::size_t XStride, bool WithInputGradient>
  void backward(const T*, const T* y, T* dy, T* dx, activation_layer&) const noexcept {
    if constexpr (WithInputGradient) kernels::active::activation_backward<Act, Batch * out_stride>(y, dy, dx);
  }

  std::span<T> buffer(std::size_t) noexcept { return {}; }
  template <class Self, class F>
  static constexpr void visit_parameters(Self&, F&&) {}
  void initialize(rng&) noexcept {}
};

}  // namespace ctnn
