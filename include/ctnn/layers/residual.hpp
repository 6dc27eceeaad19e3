// ctnn/layers/residual.hpp - a skip connection around a sub-chain of layers: y = f(x) + x,
// or y = f(x) + P x + c with a projection dense on the skip path.
//
//   ctnn::network<ctnn::input<16>,
//                 ctnn::residual<ctnn::dense<16, ctnn::relu>, ctnn::dense<16>>, ctnn::relu,
//                 ctnn::projected_residual<ctnn::dense<8, ctnn::tanh>>,   // 16 -> 8: P is 8x16
//                 ctnn::dense<2>>
//
// f is itself a network (basic_network<T, input<In>, Specs...>), so everything a network
// allows, fusion, batch norm, dropout and other residual blocks, is allowed inside it. The
// gradient at the block's input is the gradient through f plus the gradient through the skip
// path, which is why stacks of blocks keep their gradients where plain stacks lose them.
//
// Canonical parameter order (weight files, PyTorch): f's parameters, then the projection's
// (weight[out][in], bias), like a torch module that registers `body` before `projection`.
// In training, f runs through its own chain_state kept in the trainer (training_state), so
// f's activations, batch statistics and dropout masks are cached exactly as at top level.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../init.hpp"
#include "../rng.hpp"
#include "../training/chain.hpp"
#include "activations.hpp"
#include "dense.hpp"
#include "input.hpp"
#include "layer_kind.hpp"

namespace ctnn {

template <class T, class Input, class... Specs>
class basic_network;

namespace detail {
/// Instantiated only on a mismatch, so that the compiler's note shows both widths.
template <std::size_t InputWidth, std::size_t OutputWidth>
constexpr bool residual_widths_match() {
  static_assert(InputWidth == OutputWidth,
                "ctnn::residual<...>: the block's layers change the width (see InputWidth and OutputWidth "
                "below), so x + f(x) is undefined; end the block with a layer of the input's width, or use "
                "ctnn::projected_residual<...> for a projection dense on the skip path");
  return InputWidth == OutputWidth;
}
struct no_projection {
  static constexpr std::size_t parameter_count = 0, buffer_count = 0;
};
template <class Net>
constexpr std::size_t buffer_count_of() noexcept {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return (std::size_t{0} + ... + Net::template layer_type<I>::buffer_count);
  }(std::make_index_sequence<Net::layer_count>{});
}
}  // namespace detail

/// A resolved residual block on inputs of width In; Projected: a dense layer on the skip path.
template <class T, std::size_t In, bool Projected, class... Specs>
struct residual_layer {
  using value_type = T;
  /// f, the sub-chain.
  using body_type = basic_network<T, input<In>, Specs...>;
  static constexpr bool projected = Projected;
  static constexpr layer_kind kind = layer_kind::residual;
  static constexpr const char* name = Projected ? "projected_residual" : "residual";
  static constexpr std::size_t in_size = In;
  static constexpr std::size_t out_size = body_type::output_size;
  static constexpr std::size_t out_stride = padded<T>(out_size);
  static_assert(detail::residual_widths_match<In, Projected ? In : out_size>());
  /// The skip path's dense layer (default initialization: Xavier, as for any identity dense).
  using projection_type = std::conditional_t<Projected, dense_layer<T, In, out_size, identity, init::automatic, init::zeros>,
                                             detail::no_projection>;
  static constexpr std::size_t in_stride = padded<T>(In);
  static constexpr std::size_t parameter_count =
      body_type::parameter_count + projection_type::parameter_count;
  /// The skip path reads the input row as the block's output row: it must be padded.
  static constexpr bool accepts_unpadded_input = false;
  static constexpr std::size_t buffer_count = detail::buffer_count_of<body_type>() + projection_type::buffer_count;
  /// Stack bytes of one inference call beyond the network's two rows: f's own rows and its
  /// output row.
  static constexpr std::size_t inference_stack_bytes = body_type::inference_stack_bytes + out_stride * sizeof(T);

  body_type body{};
  [[no_unique_address]] projection_type projection{};

  /// f's chain state for a batch, in the trainer.
  template <std::size_t Batch>
  struct training_state {
    detail::chain_state<body_type, Batch, in_stride> chain{};
    /// Dropout inside f draws from streams derived from this block's.
    void seed(std::uint64_t seed, std::uint64_t stream) noexcept {
      chain.seed(seed, [stream](std::size_t layer) { return detail::nested_stream(stream, layer); });
    }
  };

  /// Inference: y = f(x) + skip(x), a sample at a time (f's rows are one sample on the stack).
  template <std::size_t Batch, std::size_t XStride>
  void forward(const T* x, T* y) const noexcept {
    static_assert(XStride == in_stride, "residual_layer: input rows must be padded");
    if constexpr (Projected) projection.template forward<Batch, in_stride>(x, y);
    for (std::size_t b = 0; b < Batch; ++b) {
      alignas(simd_alignment<T>) T fx[out_stride];
      body.infer(x + b * XStride, fx);
      add_row(fx, x + b * XStride, y + b * out_stride);
    }
  }

  /// Training: f through the state's chain (which keeps what backward needs), then the skip.
  template <std::size_t Batch, std::size_t XStride>
  void forward_train(const T* x, T* y, training_state<Batch>& state) const noexcept {
    static_assert(XStride == in_stride, "residual_layer: input rows must be padded");
    state.chain.forward(body, x);
    const T* fx = state.chain.template output<body_type::layer_count - 1>();
    if constexpr (Projected) projection.template forward<Batch, in_stride>(x, y);
    for (std::size_t b = 0; b < Batch; ++b) add_row(fx + b * out_stride, x + b * XStride, y + b * out_stride);
  }

  /// dx = df/dx^T dy + dskip/dx^T dy; f's and the projection's parameter gradients into grad.
  template <std::size_t Batch, std::size_t XStride, bool WithInputGradient>
  void backward(const T* x, const T*, T* dy, T* dx, residual_layer& grad, training_state<Batch>& state) const noexcept {
    // f's last layer may overwrite its output gradient in place: give it a copy.
    T* body_dy = state.chain.output_gradient();
    for (std::size_t k = 0; k < Batch * out_stride; ++k) body_dy[k] = dy[k];
    const T* body_dx = state.chain.template backward<WithInputGradient>(body, x, body_dy, grad.body);
    if constexpr (Projected) {
      projection.template backward<Batch, XStride, WithInputGradient>(x, nullptr, dy, dx, grad.projection);
      if constexpr (WithInputGradient)
        for (std::size_t k = 0; k < Batch * XStride; ++k) dx[k] += body_dx[k];
    } else if constexpr (WithInputGradient) {
      for (std::size_t k = 0; k < Batch * XStride; ++k) dx[k] = dy[k] + body_dx[k];
    }
  }

  /// After an accepted step: f's layers commit (running statistics, dropout generators).
  template <std::size_t Batch>
  void commit(training_state<Batch>& state) noexcept {
    state.chain.commit(body);
  }

  /// f's trainable buffers in layer order, then the projection's.
  std::span<T> buffer(std::size_t k) noexcept {
    std::span<T> found;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((k < body_type::template layer_type<I>::buffer_count && found.empty()
            ? void(found = body.template layer<I>().buffer(k))
            : void(k -= found.empty() ? body_type::template layer_type<I>::buffer_count : 0)),
       ...);
    }(std::make_index_sequence<body_type::layer_count>{});
    if constexpr (Projected)
      if (found.empty()) found = projection.buffer(k);
    return found;
  }

  template <class Self, class F>
  static constexpr void visit_parameters(Self& self, F&& f) {
    self.body.visit_parameters(f);
    if constexpr (Projected) projection_type::visit_parameters(self.projection, f);
  }

  /// f's layers draw from g first, then the projection.
  void initialize(rng& g) noexcept {
    body.initialize(g);
    if constexpr (Projected) projection.initialize(g);
  }

 private:
  /// One row of output: y = fx + x, or y = fx + y where y already holds P x + c; the padded
  /// lanes are zero (in training and inference alike).
  static void add_row(const T* fx, const T* x, T* y) noexcept {
    for (std::size_t j = 0; j < out_size; ++j) y[j] = fx[j] + (Projected ? y[j] : x[j]);
    for (std::size_t j = out_size; j < out_stride; ++j) y[j] = T(0);
  }
};

/// Layer spec: y = f(x) + x with f the layers Specs (which must end at the input's width).
template <class... Specs>
struct residual {
  static_assert(sizeof...(Specs) > 0, "ctnn::residual<>: a residual block needs at least one layer");
  template <class T, std::size_t In>
  using resolve = residual_layer<T, In, false, Specs...>;
};

/// Layer spec: y = f(x) + P x + c, with P x + c a dense layer on the skip path from the input's
/// width to f's output width (ResNet's projection shortcut).
template <class... Specs>
struct projected_residual {
  static_assert(sizeof...(Specs) > 0, "ctnn::projected_residual<>: a residual block needs at least one layer");
  template <class T, std::size_t In>
  using resolve = residual_layer<T, In, true, Specs...>;
};

}  // namespace ctnn
