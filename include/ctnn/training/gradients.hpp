// ctnn/training/gradients.hpp - how an optimizer finds the gradient of each parameter buffer.
//
// Optimizer::update(net, gradients, ...) zips the network's buffers with gradients.storage()
// (a network-shaped object) and the optimizer state, and lets gradients.apply() call the fused
// update kernel with the right gradient source (kernels/gradient_source.hpp). stored_gradients
// is the general case; the trainer's batch-1 path passes outer_product_gradients
// (training/outer_product.hpp), which never stores a dense layer's weight gradient.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>

#include "../kernels/gradient_source.hpp"

namespace ctnn {

/// Gradients that know each layer's squared norm without reading the gradient: the batch-1
/// outer product, whose norms the step has measured for its checks. An optimizer whose update
/// is a multiple of the gradient then has the update's norm for free (training/sgd.hpp).
template <class Gradients>
concept knows_squared_norms = requires(const Gradients& g, std::size_t layer) {
  { g.squared_norm(layer) } -> std::convertible_to<double>;
};

/// Gradients held in a network-shaped object.
template <class Net>
struct stored_gradients {
  Net& values;

  Net& storage() noexcept { return values; }
  /// kernel(source, rows, width): the whole buffer as one row.
  template <class T, class Kernel>
  double apply(std::size_t, std::span<T> g, Kernel&& kernel) const noexcept {
    return kernel(kernels::stored_gradient<T>{g.data()}, std::size_t{1}, g.size());
  }
};

}  // namespace ctnn
