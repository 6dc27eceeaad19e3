// ctnn/layers/dense.hpp - fully connected layer y = act(W x + b), with its activation fused.
//
// Memory layout is the kernel's business (kernels/scalar.hpp): the weights are kept transposed
// and padded, wt[In][OutStride], because the broadcast-FMA kernel reads one input value and one
// contiguous row of weights per step, for inference and for batched training alike. Weights
// and bias share one array, so an optimizer updates a layer in one pass (a pass per buffer cost
// S's training step 189 -> 157 ns, bench/RESULTS.md). The canonical order of files and of
// PyTorch (weight[out][in], then bias) is what weight(), visit_parameters() and the
// initializers see.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "../config.hpp"
#include "layer_kind.hpp"
#include "../init.hpp"
#include "../kernels/kernels.hpp"
#include "activations.hpp"

namespace ctnn {

/// A resolved dense layer: In inputs, Out outputs, activation Act applied in the same kernel.
template <class T, std::size_t In, std::size_t Out, class Act, class WeightInit, class BiasInit>
struct dense_layer {
  using value_type = T;
  static constexpr layer_kind kind = layer_kind::dense;
  using activation = Act;
  using weight_init = WeightInit;
  using bias_init = BiasInit;
  static constexpr const char* name = "dense";
  static constexpr std::size_t in_size = In;
  static constexpr std::size_t out_size = Out;
  static constexpr std::size_t out_stride = padded<T>(Out);
  /// Parameters as a file or PyTorch counts them (no padding).
  static constexpr std::size_t parameter_count = In * Out + Out;
  /// The kernel reads inputs one value at a time: they need no padding or alignment.
  static constexpr bool accepts_unpadded_input = true;
  static constexpr std::size_t buffer_count = 1;
  static constexpr std::size_t weight_count = In * out_stride;

  /// wt (weight_count values), then bias (out_stride values); padded lanes stay zero.
  alignas(simd_alignment<T>) std::array<T, weight_count + out_stride> parameters{};

  /// wt[i * out_stride + o] = W[o][i].
  constexpr std::span<T, weight_count> wt() noexcept { return std::span<T, weight_count>(parameters.data(), weight_count); }
  constexpr std::span<const T, weight_count> wt() const noexcept {
    return std::span<const T, weight_count>(parameters.data(), weight_count);
  }
  constexpr std::span<T, out_stride> bias() noexcept {
    return std::span<T, out_stride>(parameters.data() + weight_count, out_stride);
  }
  constexpr std::span<const T, out_stride> bias() const noexcept {
    return std::span<const T, out_stride>(parameters.data() + weight_count, out_stride);
  }

  /// W[o][i] in PyTorch's orientation.
  constexpr T& weight(std::size_t o, std::size_t i) noexcept { return parameters[i * out_stride + o]; }
  constexpr const T& weight(std::size_t o, std::size_t i) const noexcept { return parameters[i * out_stride + o]; }

  /// y[b] = act(W x[b] + bias) for Batch rows of x (row stride XStride); y has row stride out_stride.
  template <std::size_t Batch, std::size_t XStride>
  void forward(const T* x, T* y) const noexcept {
    kernels::active::gemm_bcast<Act, Batch, In, XStride, 1, out_stride>(x, wt().data(), bias().data(), y);
  }

  /// Backward through act and the affine map. dy (the gradient at this layer's output) is
  /// overwritten with the gradient at the pre-activation; grad receives dL/dW and dL/db; dx the
  /// gradient at the input (row stride XStride) when WithInputGradient.
  template <std::size_t Batch, std::size_t XStride, bool WithInputGradient>
  void backward(const T* x, const T* y, T* dy, T* dx, dense_layer& grad) const noexcept {
    pre_activation_gradient<Batch>(y, dy);
    kernels::active::gemm_bcast<identity, In, Batch, 1, XStride, out_stride>(x, dy, nullptr, grad.wt().data());
    kernels::active::column_sums<Batch, out_stride>(dy, grad.bias().data());
    if constexpr (WithInputGradient) input_gradient<Batch, XStride>(dy, dx);
  }

  /// dy *= act'(y), in place: the gradient at the layer's output becomes the gradient at its
  /// pre-activation.
  template <std::size_t Batch>
  static void pre_activation_gradient(const T* y, T* dy) noexcept {
    if constexpr (Act::kind != activation_kind::identity)
      kernels::active::activation_backward<Act, Batch * out_stride>(y, dy, dy);
  }
  /// dx = dz W, from the gradient dz at the pre-activation.
  template <std::size_t Batch, std::size_t XStride>
  void input_gradient(const T* dz, T* dx) const noexcept {
    kernels::active::dense_backward_input<Batch, In, XStride, out_stride>(dz, wt().data(), dx);
  }

  /// The trainable buffer: weights and bias, padding included (padded entries have zero
  /// gradient and stay zero).
  std::span<T> buffer(std::size_t) noexcept { return std::span<T>(parameters); }

  /// Visits every parameter in canonical order: weight[out][in] row by row, then bias[out].
  template <class Self, class F>
  static constexpr void visit_parameters(Self& self, F&& f) {
    for (std::size_t o = 0; o < Out; ++o)
      for (std::size_t i = 0; i < In; ++i) f(self.weight(o, i));
    for (std::size_t o = 0; o < Out; ++o) f(self.bias()[o]);
  }

  /// Draws the weights from WeightInit and the bias from BiasInit.
  void initialize(rng& g) noexcept {
    WeightInit::template fill<Act>([this](std::size_t o, std::size_t i) -> T& { return weight(o, i); }, Out, In, In,
                                   Out, g);
    BiasInit::template fill<Act>([this](std::size_t o, std::size_t) -> T& { return bias()[o]; }, Out, 1, In, Out, g);
  }
};

/// Layer spec: a dense layer of N outputs with an element-wise activation (default identity,
/// i.e. logits), a weight initializer and a bias initializer (see ctnn/init.hpp).
/// A following element-wise activation layer is fused into it by ctnn::network.
template <std::size_t N, class Act = identity, class WeightInit = init::automatic, class BiasInit = init::zeros>
struct dense {
  static_assert(N > 0, "ctnn::dense<0>: a layer needs at least one output");
  static_assert(activation<Act>,
                "ctnn::dense<N, Act>: Act must be an element-wise activation (identity, relu, leaky_relu, sigmoid, tanh)");
  template <class T, std::size_t In>
  using resolve = dense_layer<T, In, N, Act, WeightInit, BiasInit>;
};

}  // namespace ctnn
