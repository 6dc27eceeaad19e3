// ctnn/training/rmsprop.hpp - RMSProp, torch.optim.RMSprop's update rule.
//
// For every parameter p with gradient g:
//   g = g + weight_decay * p
//   s = alpha * s + (1 - alpha) * g^2
//   centered:  a = alpha * a + (1 - alpha) * g;   d = sqrt(s - a^2) + eps
//   otherwise: d = sqrt(s) + eps
//   momentum > 0:  b = momentum * b + g / d;  p = p - lr * b
//   otherwise:     p = p - lr * g / d
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../kernels/kernels.hpp"
#include "gradients.hpp"
#include "hyper_parameters.hpp"
#include "../status.hpp"

namespace ctnn {

struct rmsprop {
  static constexpr const char* name = "rmsprop";
  struct options {
    float learning_rate = 0.01f;
    float alpha = 0.99f;
    float eps = 1e-8f;
    float weight_decay = 0.0f;
    float momentum = 0.0f;
    bool centered = false;
  };
  template <class Net>
  struct state {
    Net square_avg{};
    Net momentum_buffer{};
    Net grad_avg{};
  };

  static status validate(const options& o) noexcept {
    if (!detail::finite_non_negative(o.learning_rate) || !detail::finite_non_negative(o.alpha) ||
        !detail::finite_non_negative(o.weight_decay) || !detail::finite_non_negative(o.momentum))
      return status::error(status_code::invalid_argument)
             << "rmsprop: learning_rate, alpha, weight_decay and momentum must be finite and >= 0";
    // As for Adam (adam.hpp): eps = 0 divides 0 by 0 in every padding lane.
    if (!detail::finite_positive(o.eps))
      return status::error(status_code::invalid_argument)
             << "rmsprop: eps must be finite and > 0 (with eps = 0, a parameter whose gradient has always been zero becomes 0/0)";
    return {};
  }

  /// One update; adds each layer's squared update norm to update_sq[layer].
  template <class Net, class Gradients>
  static void update(Net& net, Gradients& grads, state<Net>& s, const options& o, std::uint64_t,
                     std::span<double> update_sq) noexcept {
    using T = typename Net::value_type;
    const kernels::rmsprop_constants<T> c{T(o.learning_rate), T(o.alpha), T(1.0 - double(o.alpha)), T(o.eps),
                                          T(o.weight_decay), T(o.momentum), o.centered};
    net.zip_layer_buffers(
        [&](std::size_t layer, std::span<T> p, std::span<T> g, std::span<T> sq, std::span<T> buf, std::span<T> avg) {
          update_sq[layer] += grads.apply(layer, g, [&](const auto& gradient, std::size_t rows, std::size_t width) {
            return kernels::active::rmsprop_update(p.data(), gradient, sq.data(), buf.data(), avg.data(), rows, width, c);
          });
        },
        grads.storage(), s.square_avg, s.momentum_buffer, s.grad_avg);
  }
};

}  // namespace ctnn
