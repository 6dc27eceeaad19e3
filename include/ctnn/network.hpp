// ctnn/network.hpp - the compile-time network type.
//
//   using net_t = ctnn::network<ctnn::input<4>, ctnn::dense<16, ctnn::tanh>, ctnn::dense<2>>;
//
// The parameter list is resolved in two compile-time passes over Boost.Hana type lists:
//   1. a left scan gives each layer spec its input width (dense<16> after input<4> becomes
//      dense_layer<float, 4, 16, ...>);
//   2. a rewrite fuses a dense layer without activation with the element-wise activation
//      layer after it (dense<64>, relu -> one dense_layer with relu in its kernel).
// The network object holds the resolved layers' parameters and nothing else; the forward pass
// is a compile-time loop over the layers through two stack buffers (ping-pong).
#pragma once

#include <boost/hana/append.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/back.hpp>
#include <boost/hana/drop_back.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/fold_left.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/integral_constant.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/range.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <boost/hana/unpack.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

#include "config.hpp"
#include "layers/activation_layer.hpp"
#include "layers/activations.hpp"
#include "layers/batch_norm.hpp"
#include "layers/dense.hpp"
#include "layers/dropout.hpp"
#include "layers/input.hpp"
#include "layers/residual.hpp"
#include "layers/softmax.hpp"
#include "rng.hpp"

namespace ctnn {

namespace detail {

namespace hana = boost::hana;

/// A plain list of types (the layer specs a network was declared with).
template <class... Ts>
struct type_list {};

template <class S>
struct is_input : std::false_type {};
template <std::size_t N>
struct is_input<input<N>> : std::true_type {};

template <class Spec, class T>
concept resolvable_spec = requires { typename Spec::template resolve<T, 1>; };

/// The concrete layer for Spec when its input has In values.
template <class T, std::size_t In, class Spec>
struct resolve_spec {
  static_assert(!is_input<Spec>::value, "ctnn::network: ctnn::input<N> may only be the first parameter");
  static_assert(resolvable_spec<Spec, T>,
                "ctnn::network: every parameter after the input must be a layer spec "
                "(ctnn::dense<N>, ctnn::batch_norm, ctnn::dropout<Num, Den>, ctnn::residual<...>, ctnn::relu, ctnn::leaky_relu<Num, Den>, ctnn::sigmoid, "
                "ctnn::tanh, ctnn::identity, ctnn::softmax)");
  using type = typename Spec::template resolve<T, In>;
};
template <class T, std::size_t In, activation A>
struct resolve_spec<T, In, A> {
  using type = activation_layer<T, In, A>;
};
template <class T, std::size_t In>
struct resolve_spec<T, In, softmax> {
  using type = softmax_layer<T, In>;
};

/// Pass 1: left scan over the specs, threading the width.
template <class T, std::size_t In, class... Specs>
constexpr auto resolve_layers() {
  auto scanned = hana::fold_left(
      hana::tuple_t<Specs...>, hana::make_pair(hana::size_c<In>, hana::tuple_t<>), [](auto state, auto spec) {
        constexpr std::size_t width = decltype(+hana::first(state))::value;
        using layer = typename resolve_spec<T, width, typename decltype(spec)::type>::type;
        return hana::make_pair(hana::size_c<layer::out_size>, hana::append(hana::second(state), hana::type_c<layer>));
      });
  return hana::second(scanned);
}

/// Which adjacent layer pairs fuse into one, and into what.
template <class A, class B>
struct fusion {
  static constexpr bool possible = false;
};
template <class T, std::size_t In, std::size_t Out, class WI, class BI, class Act>
struct fusion<dense_layer<T, In, Out, identity, WI, BI>, activation_layer<T, Out, Act>> {
  static constexpr bool possible = true;
  using type = dense_layer<T, In, Out, Act, WI, BI>;
};

/// Pass 2: fold that replaces (dense, activation) by the fused dense layer.
template <class Layers>
constexpr auto fuse_layers(Layers layers) {
  return hana::fold_left(layers, hana::tuple_t<>, [](auto done, auto next) {
    using Next = typename decltype(next)::type;
    if constexpr (decltype(hana::length(done))::value == 0) {
      return hana::append(done, next);
    } else {
      using Prev = typename decltype(+hana::back(done))::type;
      if constexpr (fusion<Prev, Next>::possible)
        return hana::append(hana::drop_back(done), hana::type_c<typename fusion<Prev, Next>::type>);
      else
        return hana::append(done, next);
    }
  });
}

template <class T, class Input, class... Specs>
struct network_layers {
  static_assert(is_input<Input>::value, "ctnn::network<...>: the first parameter must be ctnn::input<N>");
  static_assert(sizeof...(Specs) > 0, "ctnn::network<ctnn::input<N>>: a network needs at least one layer after its input");
  static constexpr auto types = fuse_layers(resolve_layers<T, Input::size, Specs...>());
  using tuple = typename decltype(hana::unpack(types, hana::template_<hana::tuple>))::type;
};

}  // namespace detail

/// A feed-forward network whose topology is its type. T is the value type (float; double for
/// gradient checks). Holds the parameters and nothing else.
template <class T, class Input, class... Specs>
class basic_network {
  using resolved = detail::network_layers<T, Input, Specs...>;

 public:
  using value_type = T;
  using layers_type = typename resolved::tuple;
  using input_spec = Input;
  using layer_specs = detail::type_list<Specs...>;

  static constexpr std::size_t layer_count = decltype(boost::hana::length(resolved::types))::value;
  /// The I-th concrete layer type, after fusion.
  template <std::size_t I>
  using layer_type = typename decltype(+boost::hana::at_c<I>(resolved::types))::type;

  static constexpr std::size_t input_size = Input::size;
  static constexpr std::size_t output_size = layer_type<layer_count - 1>::out_size;

  /// Row stride of the buffer that feeds layer I (the network input is read unpadded by a
  /// first layer that can; otherwise it is copied into a padded row).
  template <std::size_t I>
  static constexpr std::size_t input_stride() noexcept {
    if constexpr (I == 0)
      return layer_type<0>::accepts_unpadded_input ? input_size : padded<T>(input_size);
    else
      return layer_type<I - 1>::out_stride;
  }

 private:
  template <class F>
  static constexpr auto fold_layers(std::size_t init, F f) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      std::size_t acc = init;
      ((acc = f(acc, layer_type<I>{})), ...);
      return acc;
    }(std::make_index_sequence<layer_count>{});
  }

 public:
  /// Parameters as PyTorch or a weight file counts them.
  static constexpr std::size_t parameter_count =
      fold_layers(0, [](std::size_t acc, auto l) { return acc + decltype(l)::parameter_count; });
  /// Bytes of the object, alignment padding included: what sits in RAM or flash.
  static constexpr std::size_t parameter_bytes = sizeof(layers_type);
  /// Widest padded activation row.
  static constexpr std::size_t max_stride = fold_layers(
      padded<T>(input_size), [](std::size_t acc, auto l) { return std::max(acc, decltype(l)::out_stride); });
  /// Stack bytes of the buffers one inference call declares (two activation rows, when the
  /// first layer needs padded input one input row, and the deepest residual block's own
  /// rows); register spills not included.
  static constexpr std::size_t inference_stack_bytes =
      2 * max_stride * sizeof(T) + (layer_type<0>::accepts_unpadded_input ? 0 : padded<T>(input_size) * sizeof(T)) +
      fold_layers(0, [](std::size_t acc, auto l) {
        if constexpr (requires { decltype(l)::inference_stack_bytes; })
          return std::max(acc, decltype(l)::inference_stack_bytes);
        else
          return acc;
      });

  constexpr basic_network() noexcept = default;

  /// The I-th layer (after fusion), with its parameters.
  template <std::size_t I>
  constexpr auto& layer() noexcept {
    return boost::hana::at_c<I>(layers_);
  }
  template <std::size_t I>
  constexpr const auto& layer() const noexcept {
    return boost::hana::at_c<I>(layers_);
  }

  /// Inference for one sample.
  std::array<T, output_size> operator()(const std::array<T, input_size>& x) const noexcept {
    std::array<T, output_size> y;
    infer(x.data(), y.data());
    return y;
  }

  /// Inference for one sample, raw pointers: reads input_size values, writes output_size values.
  void infer(const T* x, T* y) const noexcept {
    alignas(simd_alignment<T>) T rows[2][max_stride];
    const T* src = x;
    if constexpr (!layer_type<0>::accepts_unpadded_input) {
      alignas(simd_alignment<T>) T padded_input[padded<T>(input_size)] = {};
      std::copy_n(x, input_size, padded_input);
      run_layers(padded_input, rows, y);
    } else {
      run_layers(src, rows, y);
    }
  }

  /// Calls f(layer) for every layer, in order.
  template <class F>
  void for_each_layer(F&& f) {
    boost::hana::for_each(layers_, f);
  }
  template <class F>
  void for_each_layer(F&& f) const {
    boost::hana::for_each(layers_, f);
  }

  /// Calls f(value) for every parameter in canonical (PyTorch, weight file) order.
  template <class F>
  constexpr void visit_parameters(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (layer_type<I>::visit_parameters(layer<I>(), f), ...);
    }(std::make_index_sequence<layer_count>{});
  }
  template <class F>
  constexpr void visit_parameters(F&& f) const {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (layer_type<I>::visit_parameters(layer<I>(), f), ...);
    }(std::make_index_sequence<layer_count>{});
  }

  /// A network holding `values` (canonical order). constexpr: a network constant built from
  /// an exported header lives in read-only memory (flash on a microcontroller).
  static constexpr basic_network from_parameters(const std::array<T, parameter_count>& values) noexcept {
    basic_network net;
    std::size_t i = 0;
    net.visit_parameters([&](T& p) { p = values[i++]; });
    return net;
  }

  /// Calls f(span of this, span of others...) for every trainable buffer, zipped with the
  /// same buffer of other networks of this type (gradients, optimizer moments).
  template <class F, class... Others>
  void zip_buffers(F&& f, Others&... others) {
    zip_impl<false>(f, std::make_index_sequence<layer_count>{}, others...);
  }

  /// As zip_buffers, with the index of the buffers' layer first: f(layer, spans...).
  template <class F, class... Others>
  void zip_layer_buffers(F&& f, Others&... others) {
    zip_impl<true>(f, std::make_index_sequence<layer_count>{}, others...);
  }

  /// Initializes every layer from its initializers, drawing from g in layer order.
  void initialize(rng& g) noexcept {
    for_each_layer([&](auto& l) { l.initialize(g); });
  }

 private:
  // WithIndex says whether f takes the layer's index first: deciding it by whether f can be
  // called that way would hand the index to a generic f(auto&&... spans) of zip_buffers.
  template <bool WithIndex, class F, std::size_t... I, class... Others>
  void zip_impl(F& f, std::index_sequence<I...>, Others&... others) {
    (zip_layer<WithIndex, I>(f, others...), ...);
  }
  template <bool WithIndex, std::size_t I, class F, class... Others>
  void zip_layer(F& f, Others&... others) {
    for (std::size_t k = 0; k < layer_type<I>::buffer_count; ++k) {
      if constexpr (WithIndex)
        f(I, layer<I>().buffer(k), others.template layer<I>().buffer(k)...);
      else
        f(layer<I>().buffer(k), others.template layer<I>().buffer(k)...);
    }
  }

  void run_layers(const T* src, T (&rows)[2][max_stride], T* y) const noexcept {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((layer<I>().template forward<1, input_stride<I>()>(src, rows[I % 2]), src = rows[I % 2]), ...);
    }(std::make_index_sequence<layer_count>{});
    std::copy_n(src, output_size, y);
  }

  layers_type layers_{};
};

/// The float network: ctnn::network<ctnn::input<N>, layer specs...>.
template <class Input, class... Specs>
using network = basic_network<float, Input, Specs...>;

/// Initializes every layer of net from its initializers: ctnn::initialize(net, ctnn::rng{42}).
template <class Net>
void initialize(Net& net, rng&& g) noexcept {
  net.initialize(g);
}
template <class Net>
void initialize(Net& net, rng& g) noexcept {
  net.initialize(g);
}

}  // namespace ctnn
