// ctnn/fold.hpp - fold batch normalization into the dense layer before it, for inference.
//
//   ctnn::folded_network_t<Net> folded;          // a new, smaller network type
//   ctnn::fold_batch_norm(net, folded);
//
// A dense layer without activation followed by batch_norm computes, in inference mode,
//   gamma * (W x + b - mean) / sqrt(var + eps) + beta  =  W' x + b'
// with W'[o][i] = s_o W[o][i], b'_o = s_o (b_o - mean_o) + beta_o, s_o = gamma_o / sqrt(var_o + eps).
// The folded type is the network declared without those batch_norm specs, with an activation
// that followed the batch norm moved into the dense spec: folding
// network<input<784>, dense<128>, batch_norm, relu, dense<10>> gives exactly
// network<input<784>, dense<128, relu>, dense<10>>; an identity spec between the dense layer and
// the batch norm is dropped, as the network fuses it. Pairs at the top level only: a residual
// block is copied as it is, batch norms inside it included.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "layers/activations.hpp"
#include "layers/batch_norm.hpp"
#include "layers/dense.hpp"
#include "network.hpp"

namespace ctnn {

namespace detail {

template <class S>
struct is_plain_dense_spec : std::false_type {};
template <std::size_t N, class WI, class BI>
struct is_plain_dense_spec<dense<N, identity, WI, BI>> : std::true_type {};
template <class S>
struct is_batch_norm_spec : std::false_type {};
template <std::intmax_t A, std::intmax_t B, std::intmax_t C, std::intmax_t D>
struct is_batch_norm_spec<basic_batch_norm<A, B, C, D>> : std::true_type {};

/// Drops every batch_norm spec that directly follows a dense spec without activation.
template <class Done, class... Rest>
struct drop_folded_specs {
  using type = Done;
};
template <class... Done, class A, class... Rest>
struct drop_folded_specs<type_list<Done...>, A, Rest...> {
  using type = typename drop_folded_specs<type_list<Done..., A>, Rest...>::type;
};
template <class... Done, class A, class B, class... Rest>
  requires(is_plain_dense_spec<A>::value && is_batch_norm_spec<B>::value)
struct drop_folded_specs<type_list<Done...>, A, B, Rest...> {
  using type = typename drop_folded_specs<type_list<Done..., A>, Rest...>::type;
};
/// dense<N>, batch_norm, activation: the activation moves into the dense spec, so the folded
/// type is the one a user declares for the network without batch norm (dense<N, relu>).
template <class Dense, class Act>
struct with_activation;
template <std::size_t N, class WI, class BI, class Act>
struct with_activation<dense<N, identity, WI, BI>, Act> {
  using type = dense<N, Act, WI, BI>;
};
template <class... Done, class A, class B, class C, class... Rest>
  requires(is_plain_dense_spec<A>::value && is_batch_norm_spec<B>::value && activation<C>)
struct drop_folded_specs<type_list<Done...>, A, B, C, Rest...> {
  using type = typename drop_folded_specs<type_list<Done..., typename with_activation<A, C>::type>, Rest...>::type;
};
/// dense<N>, identity: the network fuses the two into the same plain dense layer (network.hpp),
/// after which a batch norm still folds; the spec list must see the same thing.
template <class... Done, class A, class... Rest>
  requires(is_plain_dense_spec<A>::value)
struct drop_folded_specs<type_list<Done...>, A, identity, Rest...> {
  using type = typename drop_folded_specs<type_list<Done...>, A, Rest...>::type;
};

template <class T, class Input, class List>
struct network_from_list;
template <class T, class Input, class... Specs>
struct network_from_list<T, Input, type_list<Specs...>> {
  using type = basic_network<T, Input, Specs...>;
};

template <class Specs>
struct folded_of;
template <class... Specs>
struct folded_of<type_list<Specs...>> {
  using type = typename drop_folded_specs<type_list<>, Specs...>::type;
};

template <class L>
struct is_plain_dense_layer : std::false_type {};
template <class T, std::size_t In, std::size_t Out, class WI, class BI>
struct is_plain_dense_layer<dense_layer<T, In, Out, identity, WI, BI>> : std::true_type {};

/// Whether layer I of Net is a batch norm folded into the dense layer before it.
template <class Net, std::size_t I>
constexpr bool is_folded_batch_norm() noexcept {
  if constexpr (I == 0 || I >= Net::layer_count) {
    return false;
  } else {
    return Net::template layer_type<I>::kind == layer_kind::batch_norm &&
           is_plain_dense_layer<typename Net::template layer_type<I - 1>>::value;
  }
}

/// Whether layer K of Net has parameters that the folded network keeps in a layer of its own
/// (every layer with parameters but a batch norm folded into its dense layer).
template <class Net, std::size_t K>
constexpr bool carries_parameters() noexcept {
  return Net::template layer_type<K>::parameter_count > 0 && !is_folded_batch_norm<Net, K>();
}

/// Rank of layer I among the layers of the source network Net that carry parameters into the
/// folded network.
template <class Net, std::size_t I>
constexpr std::size_t carried_rank() noexcept {
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    return ((carries_parameters<Net, K>() ? 1 : 0) + ... + 0);
  }(std::make_index_sequence<I>{});
}

/// Index of the layer of the folded network Folded that is the Rank-th with parameters. Every
/// one of its layers with parameters is carried over, a batch norm that now follows a plain
/// dense layer included (dense, batch_norm, batch_norm folds only the first).
template <class Folded, std::size_t Rank>
constexpr std::size_t layer_with_rank() noexcept {
  std::size_t found = Folded::layer_count, rank = 0;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          if constexpr (Folded::template layer_type<K>::parameter_count > 0) {
            if (rank == Rank && found == Folded::layer_count) found = K;
            ++rank;
          }
        }(),
        ...);
  }(std::make_index_sequence<Folded::layer_count>{});
  return found;
}

}  // namespace detail

/// The network type `fold_batch_norm` returns for Net.
template <class Net>
using folded_network_t =
    typename detail::network_from_list<typename Net::value_type, typename Net::input_spec,
                                       typename detail::folded_of<typename Net::layer_specs>::type>::type;

/// The inference-equivalent network with every (dense, batch_norm) pair folded into one dense
/// layer. Writes into `out` (networks can be large: no copy on the stack).
template <class Net>
void fold_batch_norm(const Net& net, folded_network_t<Net>& out) noexcept {
  using Folded = folded_network_t<Net>;
  using T = typename Net::value_type;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          using L = typename Net::template layer_type<I>;
          if constexpr (detail::carries_parameters<Net, I>()) {
            constexpr std::size_t J = detail::layer_with_rank<Folded, detail::carried_rank<Net, I>()>();
            const auto& from = net.template layer<I>();
            auto& to = out.template layer<J>();
            if constexpr (L::kind == layer_kind::dense) {
              constexpr bool folds = detail::is_folded_batch_norm<Net, I + 1>();
              for (std::size_t o = 0; o < L::out_size; ++o) {
                T scale = T(1), shift = T(0);
                if constexpr (folds) {
                  const auto& bn = net.template layer<(folds ? I + 1 : I)>();
                  if constexpr (requires { bn.running_var; }) {
                    scale = bn.gamma[o] / std::sqrt(bn.running_var[o] + T(bn.epsilon));
                    shift = bn.beta[o] - bn.running_mean[o] * scale;
                  }
                }
                for (std::size_t i = 0; i < L::in_size; ++i) to.weight(o, i) = from.weight(o, i) * scale;
                to.bias()[o] = from.bias()[o] * scale + shift;
              }
            } else {
              to = from;  // an unfolded batch norm: same type in both networks
            }
          }
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});
}

}  // namespace ctnn
