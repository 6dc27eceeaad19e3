// ctnn/io/topology.hpp - a compile-time hash of a network's topology.
//
// Chained layer by layer (as Stockfish's NNUE does): FNV-1a over each resolved layer's kind,
// input and output widths, activation and its slope, batch norm's epsilon, and a residual
// block's sub-chain (bracketed) and whether it has a projection. Fusion does not change it: dense<8> then
// tanh and dense<8, tanh> are the same layer and the same parameters. Weight files and
// exported headers carry it, so parameters made for one network are refused by another.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "../layers/activations.hpp"
#include "../layers/layer_kind.hpp"

namespace ctnn {

namespace detail {
constexpr std::uint64_t fnv1a(std::uint64_t h, std::uint32_t word) noexcept {
  for (int i = 0; i < 4; ++i) {
    h ^= (word >> (8 * i)) & 0xFFu;
    h *= 0x100000001b3ULL;
  }
  return h;
}
template <class L>
concept has_activation_type = requires { typename L::activation; };
template <class L>
concept has_epsilon = requires { L::epsilon; };
template <class L>
concept has_body = requires { typename L::body_type; };

template <class Net>
constexpr std::uint64_t hash_layers(std::uint64_t h) noexcept;

template <class L>
constexpr std::uint64_t hash_layer(std::uint64_t h) noexcept {
  h = fnv1a(h, static_cast<std::uint32_t>(L::kind));
  h = fnv1a(h, static_cast<std::uint32_t>(L::in_size));
  h = fnv1a(h, static_cast<std::uint32_t>(L::out_size));
  if constexpr (has_activation_type<L>) {
    using A = typename L::activation;
    h = fnv1a(h, static_cast<std::uint32_t>(A::kind));
    if constexpr (A::kind == activation_kind::leaky_relu) h = fnv1a(h, std::bit_cast<std::uint32_t>(A::slope));
  }
  if constexpr (has_epsilon<L>) h = fnv1a(h, std::bit_cast<std::uint32_t>(float(L::epsilon)));
  if constexpr (has_body<L>) {  // a residual block: its sub-chain, bracketed, then its skip path
    h = hash_layers<typename L::body_type>(fnv1a(h, 0x28u));
    h = fnv1a(fnv1a(h, L::projected ? 1u : 0u), 0x29u);
  }
  return h;
}

template <class Net>
constexpr std::uint64_t hash_layers(std::uint64_t h) noexcept {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((h = hash_layer<typename Net::template layer_type<I>>(h)), ...);
  }(std::make_index_sequence<Net::layer_count>{});
  return h;
}
}  // namespace detail

/// The topology hash of a network type.
template <class Net>
constexpr std::uint64_t topology_hash() noexcept {
  return detail::hash_layers<Net>(0xcbf29ce484222325ULL);
}

}  // namespace ctnn
