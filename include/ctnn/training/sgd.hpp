// ctnn/training/sgd.hpp - stochastic gradient descent, torch.optim.SGD's update rule.
//
// For every parameter p with gradient g, at step t (1-based):
//   g = g + weight_decay * p
//   with momentum mu != 0:
//     b = g                                  at the first step taken with momentum
//     b = mu * b + (1 - dampening) * g       after (b is kept, unused, while mu is 0)
//     g = g + mu * b   (nesterov)   or   g = b
//   p = p - lr * g
// ctnn::sgd keeps a momentum buffer of the network's size; ctnn::plain_sgd (lr and weight
// decay only) keeps none, for the smallest training footprint.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../config.hpp"
#include "../kernels/kernels.hpp"
#include "gradients.hpp"
#include "hyper_parameters.hpp"
#include "../status.hpp"

namespace ctnn {

namespace detail {
/// One layer's SGD update; returns its squared norm. Where the update is the learning rate
/// times the gradient (no momentum, no weight decay) and the gradients know their norms (the
/// batch-1 outer product), that norm is lr^2 ||g||^2 and the kernel does not measure it (its
/// chain of FMAs: phase/T2/step 515 -> 435 ns, bench/RESULTS.md).
template <class T, class Gradients>
CTNN_INLINE double sgd_layer_update(std::size_t layer, std::span<T> p, const Gradients& grads, std::span<T> g, T* b,
                                    kernels::sgd_constants<T> c) noexcept {
  if constexpr (knows_squared_norms<Gradients>) c.measure_update = c.momentum != T(0) || c.weight_decay != T(0);
  // One call of the kernel, so that it is inlined once.
  const double measured = grads.apply(layer, g, [&](const auto& gradient, std::size_t rows, std::size_t width) {
    return kernels::active::sgd_update(p.data(), gradient, b, rows, width, c);
  });
  if constexpr (knows_squared_norms<Gradients>) {
    if (!c.measure_update) {
      const double lr = double(c.learning_rate);
      return lr * lr * grads.squared_norm(layer);
    }
  }
  return measured;
}
}  // namespace detail

template <bool WithMomentum>
struct basic_sgd;

/// SGD with momentum, dampening, Nesterov and weight decay.
template <>
struct basic_sgd<true> {
  static constexpr const char* name = "sgd";
  struct options {
    float learning_rate = 0.01f;
    float momentum = 0.0f;
    float dampening = 0.0f;
    float weight_decay = 0.0f;
    bool nesterov = false;
  };
  template <class Net>
  struct state {
    Net momentum_buffer{};
    /// Whether the buffer holds a momentum yet. As in PyTorch, it starts as the gradient of the
    /// first step taken with momentum != 0, which need not be the first step.
    bool momentum_started = false;
  };

  static status validate(const options& o) noexcept {
    if (!detail::finite_non_negative(o.learning_rate) || !detail::finite_non_negative(o.momentum) ||
        !detail::finite_non_negative(o.weight_decay) || !std::isfinite(o.dampening))
      return status::error(status_code::invalid_argument)
             << "sgd: learning_rate, momentum and weight_decay must be finite and >= 0, dampening finite";
    if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
      return status::error(status_code::invalid_argument) << "sgd: nesterov needs momentum > 0 and zero dampening";
    return {};
  }

  /// One update; adds each layer's squared update norm to update_sq[layer].
  template <class Net, class Gradients>
  static void update(Net& net, Gradients& grads, state<Net>& s, const options& o, std::uint64_t,
                     std::span<double> update_sq) noexcept {
    using T = typename Net::value_type;
    const kernels::sgd_constants<T> c{T(o.learning_rate), T(o.momentum), T(1.0 - double(o.dampening)),
                                      T(o.weight_decay), o.nesterov, !s.momentum_started};
    net.zip_layer_buffers(
        [&](std::size_t layer, std::span<T> p, std::span<T> g, std::span<T> b) CTNN_INLINE_LAMBDA {
          update_sq[layer] += detail::sgd_layer_update(layer, p, grads, g, b.data(), c);
        },
        grads.storage(), s.momentum_buffer);
    if (o.momentum != 0) s.momentum_started = true;
  }
};

/// SGD without momentum: p = p - lr * (g + weight_decay * p); no state.
template <>
struct basic_sgd<false> {
  static constexpr const char* name = "plain_sgd";
  struct options {
    float learning_rate = 0.01f;
    float weight_decay = 0.0f;
  };
  template <class Net>
  struct state {};

  static status validate(const options& o) noexcept {
    if (!detail::finite_non_negative(o.learning_rate) || !detail::finite_non_negative(o.weight_decay))
      return status::error(status_code::invalid_argument) << "plain_sgd: learning_rate and weight_decay must be finite and >= 0";
    return {};
  }

  /// One update; adds each layer's squared update norm to update_sq[layer].
  template <class Net, class Gradients>
  static void update(Net& net, Gradients& grads, state<Net>&, const options& o, std::uint64_t,
                     std::span<double> update_sq) noexcept {
    using T = typename Net::value_type;
    const kernels::sgd_constants<T> c{T(o.learning_rate), T(0), T(1), T(o.weight_decay), false, false};
    net.zip_layer_buffers(
        [&](std::size_t layer, std::span<T> p, std::span<T> g) CTNN_INLINE_LAMBDA {
          update_sq[layer] += detail::sgd_layer_update(layer, p, grads, g, static_cast<T*>(nullptr), c);
        },
        grads.storage());
  }
};

using sgd = basic_sgd<true>;
using plain_sgd = basic_sgd<false>;

}  // namespace ctnn
