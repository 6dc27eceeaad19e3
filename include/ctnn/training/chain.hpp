// ctnn/training/chain.hpp - forward and backward through a network's layers for a batch, with
// the storage that needs.
//
// A chain_state holds, for one network type and batch size, each layer's output rows (the
// backward pass reads them), each layer's training state (batch statistics, dropout masks) and
// two gradient rows that alternate from layer to layer. The trainer runs the whole network
// through one; a residual block runs its sub-chain through another, kept in its own training
// state, so nesting needs nothing else. Fixed-size, no heap.
#pragma once

#include <boost/hana/fold_right.hpp>
#include <boost/hana/range.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>

#include "../config.hpp"

namespace ctnn::detail {

template <class T, std::size_t N>
struct aligned_rows {
  alignas(simd_alignment<T>) std::array<T, N> data{};
};

/// Layers that keep per-batch state between forward and backward (batch norm, dropout, residual).
template <class L, std::size_t Batch>
concept has_training_state = requires { typename L::template training_state<Batch>; };
struct no_training_state {};
template <class L, std::size_t Batch>
struct training_state_of {
  using type = no_training_state;
};
template <class L, std::size_t Batch>
  requires has_training_state<L, Batch>
struct training_state_of<L, Batch> {
  using type = typename L::template training_state<Batch>;
};

/// SplitMix64's finalizer: a bijection that spreads every input bit over the output.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// The stream of layer `index` of a residual block's sub-chain when the block has stream
/// `base`: hashed, so that it meets neither the top level's small stream numbers (the layer
/// indices) nor another block's streams, except with negligible probability; the same on every
/// run and target.
constexpr std::uint64_t nested_stream(std::uint64_t base, std::size_t index) noexcept {
  return mix64(mix64(base) ^ (0xC2B2AE3D27D4EB4FULL * (std::uint64_t(index) + 1)));
}

/// Batch-sized forward/backward storage for Net whose first layer reads rows of InputStride.
template <class Net, std::size_t Batch, std::size_t InputStride = Net::template input_stride<0>()>
class chain_state {
 public:
  using T = typename Net::value_type;
  static constexpr std::size_t layer_count = Net::layer_count;
  template <std::size_t I>
  using layer_t = typename Net::template layer_type<I>;
  /// Row stride of layer I's input.
  template <std::size_t I>
  static constexpr std::size_t input_stride() noexcept {
    if constexpr (I == 0)
      return InputStride;
    else
      return layer_t<I - 1>::out_stride;
  }

  /// Seeds the layers that draw random numbers: layer I gets stream `stream(I)`.
  template <class Stream>
  void seed(std::uint64_t seed, Stream stream) noexcept {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            if constexpr (requires { std::get<I>(states_).seed(seed, std::uint64_t{}); })
              std::get<I>(states_).seed(seed, stream(I));
          }(),
          ...);
    }(std::make_index_sequence<layer_count>{});
  }

  /// Runs x (Batch rows of InputStride) through every layer in training mode.
  void forward(const Net& net, const T* x) noexcept {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (forward_layer<I>(net, x), ...); }(std::make_index_sequence<layer_count>{});
  }

  /// Back-propagates dy (the gradient at the last layer's output; may be overwritten) and
  /// fills grads. Returns the rows holding the gradient at x (stride InputStride) when
  /// WithInputGradient, else nullptr. Each layer reads the buffer its successor wrote and
  /// writes the other one of gradient_rows_.
  template <bool WithInputGradient>
  T* backward(const Net& net, const T* x, T* dy, Net& grads) noexcept {
    namespace hana = boost::hana;
    T* dx = hana::fold_right(hana::make_range(hana::size_c<0>, hana::size_c<layer_count>), dy, [&](auto index, T* grad_out) {
      constexpr std::size_t I = decltype(index)::value;
      T* grad_in = grad_out == gradient_rows_[0].data.data() ? gradient_rows_[1].data.data() : gradient_rows_[0].data.data();
      constexpr bool with_dx = I > 0 || WithInputGradient;
      if constexpr (has_training_state<layer_t<I>, Batch>)
        net.template layer<I>().template backward<Batch, input_stride<I>(), with_dx>(
            layer_input<I>(x), output<I>(), grad_out, grad_in, grads.template layer<I>(), std::get<I>(states_));
      else
        net.template layer<I>().template backward<Batch, input_stride<I>(), with_dx>(layer_input<I>(x), output<I>(), grad_out,
                                                                                  grad_in, grads.template layer<I>());
      return grad_in;
    });
    return WithInputGradient ? dx : nullptr;
  }

  /// After an accepted step: layers adopt what they learned from the batch (running statistics,
  /// the next dropout masks).
  void commit(Net& net) noexcept {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            if constexpr (has_training_state<layer_t<I>, Batch>) net.template layer<I>().commit(std::get<I>(states_));
          }(),
          ...);
    }(std::make_index_sequence<layer_count>{});
  }

  /// Output rows of layer I for the last batch (row stride layer_t<I>::out_stride).
  template <std::size_t I>
  T* output() noexcept {
    return std::get<I>(outputs_).data.data();
  }
  template <std::size_t I>
  const T* output() const noexcept {
    return std::get<I>(outputs_).data.data();
  }
  /// The first gradient row: where a loss (or a residual block) puts the gradient at the output.
  T* output_gradient() noexcept { return gradient_rows_[0].data.data(); }
  /// Input rows of layer I when the chain's input is x.
  template <std::size_t I>
  const T* layer_input(const T* x) const noexcept {
    if constexpr (I == 0)
      return x;
    else
      return output<I - 1>();
  }

 private:

  template <std::size_t I>
  void forward_layer(const Net& net, const T* x) noexcept {
    if constexpr (has_training_state<layer_t<I>, Batch>)
      net.template layer<I>().template forward_train<Batch, input_stride<I>()>(layer_input<I>(x), output<I>(),
                                                                              std::get<I>(states_));
    else
      net.template layer<I>().template forward<Batch, input_stride<I>()>(layer_input<I>(x), output<I>());
  }

  template <std::size_t... I>
  static auto make_outputs(std::index_sequence<I...>) -> std::tuple<aligned_rows<T, Batch * layer_t<I>::out_stride>...>;
  template <std::size_t... I>
  static auto make_states(std::index_sequence<I...>) -> std::tuple<typename training_state_of<layer_t<I>, Batch>::type...>;
  static constexpr std::size_t widest_row = [] {
    std::size_t w = InputStride;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((w = w < layer_t<I>::out_stride ? layer_t<I>::out_stride : w), ...);
    }(std::make_index_sequence<layer_count>{});
    return w;
  }();

  decltype(make_outputs(std::make_index_sequence<layer_count>{})) outputs_{};
  decltype(make_states(std::make_index_sequence<layer_count>{})) states_{};
  aligned_rows<T, Batch * widest_row> gradient_rows_[2]{};
};

}  // namespace ctnn::detail
