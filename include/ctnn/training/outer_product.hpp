// ctnn/training/outer_product.hpp - the batch-1 backward pass that never stores a weight gradient.
//
// At batch 1 the weight gradient of a dense layer is the outer product x (x) dz of its input
// and the gradient at its pre-activation, and its bias gradient is dz. This pass keeps every
// layer's dz (one padded row each) and computes only input gradients; the squared norm of a
// layer's gradient is (||x||^2 + 1) ||dz||^2 without forming it; and the optimizer reads the
// gradient as rows coefficient * dz (kernels/gradient_source.hpp). The step then writes no dW,
// reads none back and makes no separate pass to measure it: with Adam, 6 instead of 9 values
// stream per parameter (L at batch 1: 60.5 -> 49.3 us per step). When the gradients themselves
// are asked for, materialize() writes them.
//
// The trainer takes this path at batch 1 for networks of dense, activation and softmax layers
// (layers with training state or nested blocks take the general one) as
// training_options::outer_product says (by default, wherever it applies), unless
// clipping by value needs the stored gradient.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <tuple>
#include <utility>

#include <boost/hana/fold_right.hpp>
#include <boost/hana/range.hpp>

#include "../kernels/gradient_source.hpp"
#include "../kernels/kernels.hpp"
#include "../layers/layer_kind.hpp"
#include "chain.hpp"

namespace ctnn {

namespace detail {
template <class L>
constexpr bool takes_outer_product_backward() noexcept {
  return L::kind == layer_kind::dense || L::kind == layer_kind::activation || L::kind == layer_kind::softmax;
}
}  // namespace detail

/// Whether the trainer can run Net at batch 1 through outer_product_pass.
template <class Net>
constexpr bool outer_product_trainable = []<std::size_t... I>(std::index_sequence<I...>) {
  return (detail::takes_outer_product_backward<typename Net::template layer_type<I>>() && ...);
}(std::make_index_sequence<Net::layer_count>{});

/// The gradients of a batch-1 step as outer products, for Optimizer::update.
template <class Net>
struct outer_product_gradients {
  using T = typename Net::value_type;
  Net& unused_storage;  ///< zipped for its shape only
  const std::array<kernels::outer_product_gradient<T>, Net::layer_count>& sources;
  const std::array<double, Net::layer_count>& unscaled_squared_norms;  ///< as backward() measured them

  Net& storage() noexcept { return unused_storage; }
  /// Layer `layer`'s squared gradient norm, with the clipping scale.
  double squared_norm(std::size_t layer) const noexcept {
    const double scale = double(sources[layer].scale);
    return unscaled_squared_norms[layer] * scale * scale;
  }
  /// A dense layer's single buffer: x_count weight rows and the bias row, of g.size() / rows.
  template <class Kernel>
  double apply(std::size_t layer, std::span<T> g, Kernel&& kernel) const noexcept {
    const auto& source = sources[layer];
    const std::size_t rows = source.x_count + 1;
    return kernel(source, rows, g.size() / rows);
  }
};

template <class Net>
class outer_product_pass {
 public:
  using T = typename Net::value_type;
  static constexpr std::size_t layer_count = Net::layer_count;
  using sources_type = std::array<kernels::outer_product_gradient<T>, layer_count>;
  static_assert(outer_product_trainable<Net>);

  /// Where the loss writes the gradient at the network's output.
  T* output_gradient() noexcept { return std::get<layer_count - 1>(dz_).data.data(); }

  /// Back-propagates output_gradient() through net, whose forward pass `chain` ran on x; writes
  /// each layer's squared gradient norm into squared_norms. Keeps a copy of the input row: the
  /// caller's array need not outlive the step for gradients() to be written later.
  template <class Chain>
  void backward(const Net& net, const T* x, const Chain& chain, std::array<double, layer_count>& squared_norms) noexcept {
    for (std::size_t i = 0; i < Net::input_size; ++i) input_.data[i] = x[i];
    scale_ = T(1);
    namespace hana = boost::hana;
    hana::fold_right(hana::make_range(hana::size_c<0>, hana::size_c<layer_count>), 0, [&](auto index, int) {
      constexpr std::size_t I = decltype(index)::value;
      using L = typename Net::template layer_type<I>;
      const T* input = chain.template layer_input<I>(x);
      T* dy = std::get<I>(dz_).data.data();
      T* dx = nullptr;
      if constexpr (I > 0) dx = std::get<I - 1>(dz_).data.data();
      if constexpr (L::kind == layer_kind::dense) {
        L::template pre_activation_gradient<1>(chain.template output<I>(), dy);
        if constexpr (I > 0) net.template layer<I>().template input_gradient<1, Net::template input_stride<I>()>(dy, dx);
        squared_norms[I] = (kernels::active::sum_of_squares_in_double(input, L::in_size) + 1.0) *
                           kernels::active::sum_of_squares_in_double(dy, L::out_size);
      } else {
        if constexpr (I > 0) {
          L no_parameters{};
          net.template layer<I>().template backward<1, Net::template input_stride<I>(), true>(
              input, chain.template output<I>(), dy, dx, no_parameters);
        }
        squared_norms[I] = 0;
      }
      return 0;
    });
  }

  /// Multiplies every gradient by `factor` (clipping by norm), as the optimizer reads them.
  void scale(T factor) noexcept { scale_ = factor; }

  /// Each dense layer's gradient as coefficient * dz rows, for the chain of the last backward().
  /// Built on demand from the chain and this pass, so a copied trainer points at its own rows.
  template <class Chain>
  sources_type sources(const Chain& chain) const noexcept {
    sources_type s{};
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            using L = typename Net::template layer_type<I>;
            if constexpr (L::kind == layer_kind::dense)
              s[I] = {chain.template layer_input<I>(input_.data.data()), L::in_size, std::get<I>(dz_).data.data(), scale_};
          }(),
          ...);
    }(std::make_index_sequence<layer_count>{});
    return s;
  }

  /// Writes the gradients of the last backward() (scaled) into a network-shaped object.
  template <class Chain>
  void materialize(Net& grads, const Chain& chain) const noexcept {
    const sources_type s = sources(chain);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            using L = typename Net::template layer_type<I>;
            if constexpr (L::kind == layer_kind::dense) {
              auto& g = grads.template layer<I>();
              for (std::size_t r = 0; r <= L::in_size; ++r) {
                const T c = s[I].coefficient(r);
                for (std::size_t o = 0; o < L::out_stride; ++o) g.parameters[r * L::out_stride + o] = c * s[I].dz[o];
              }
            }
          }(),
          ...);
    }(std::make_index_sequence<layer_count>{});
  }

 private:
  template <std::size_t... I>
  static auto make_rows(std::index_sequence<I...>)
      -> std::tuple<detail::aligned_rows<T, Net::template layer_type<I>::out_stride>...>;
  decltype(make_rows(std::make_index_sequence<layer_count>{})) dz_{};
  detail::aligned_rows<T, Net::input_size> input_{};
  T scale_ = T(1);
};

}  // namespace ctnn
