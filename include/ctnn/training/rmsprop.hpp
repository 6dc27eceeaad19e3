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
    if (!(o.learning_rate >= 0) || !(o.alpha >= 0) || !(o.eps >= 0) || !(o.weight_decay >= 0) || !(o.momentum >= 0))
      return status::error(status_code::invalid_argument)
             << "rmsprop: learning_rate, alpha, eps, weight_decay and momentum must be >= 0";
    return {};
  }

  /// One update; adds each layer's squared update norm to update_sq[layer].
  template <class Net>
  static void update(Net& net, Net& grads, state<Net>& s, const options& o, std::uint64_t,
                     std::span<double> update_sq) noexcept {
    using T = typename Net::value_type;
    const T lr = T(o.learning_rate), alpha = T(o.alpha), rest = T(1.0 - double(o.alpha)), eps = T(o.eps),
            wd = T(o.weight_decay), mu = T(o.momentum);
    net.zip_layer_buffers(
        [&](std::size_t layer, std::span<T> p, std::span<T> g, std::span<T> sq, std::span<T> buf, std::span<T> avg) {
          double moved = 0;
          for (std::size_t i = 0; i < p.size(); ++i) {
            const T old = p[i];
            T d = g[i];
            if (wd != T(0)) d = d + wd * p[i];
            sq[i] = alpha * sq[i] + rest * d * d;
            T denom;
            if (o.centered) {
              avg[i] = alpha * avg[i] + rest * d;
              denom = std::sqrt(sq[i] - avg[i] * avg[i]) + eps;
            } else {
              denom = std::sqrt(sq[i]) + eps;
            }
            if (mu > T(0)) {
              buf[i] = mu * buf[i] + d / denom;
              p[i] = p[i] - lr * buf[i];
            } else {
              p[i] = p[i] - lr * (d / denom);
            }
            moved += double(p[i] - old) * double(p[i] - old);
          }
          update_sq[layer] += moved;
        },
        grads, s.square_avg, s.momentum_buffer, s.grad_avg);
  }
};

}  // namespace ctnn
