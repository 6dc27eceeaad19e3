// ctnn/training/adam.hpp - Adam, AdamW and their AMSGrad variants: torch.optim.Adam / AdamW.
//
// For every parameter p with gradient g, at step t (1-based):
//   AdamW:  p = p * (1 - lr * weight_decay)          Adam: g = g + weight_decay * p
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g^2
//   AMSGrad: v_max = max(v_max, v), v_hat = v_max; otherwise v_hat = v
//   p = p - (lr / (1 - beta1^t)) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
// The bias corrections are computed in double, once per step, as PyTorch does; beta^t is kept
// as a running product in the state (equal to pow to double rounding while the betas stay
// fixed), which spares a microcontroller the C library's pow (3.9 KB on a Cortex-M4F).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "../kernels/kernels.hpp"
#include "gradients.hpp"
#include "hyper_parameters.hpp"
#include "../status.hpp"

namespace ctnn {

template <bool Decoupled, bool AmsGrad>
struct basic_adam {
  static constexpr const char* name = Decoupled ? (AmsGrad ? "adamw_amsgrad" : "adamw") : (AmsGrad ? "adam_amsgrad" : "adam");
  struct options {
    float learning_rate = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float eps = 1e-8f;
    float weight_decay = Decoupled ? 1e-2f : 0.0f;  // PyTorch's defaults
  };
  struct no_state {};
  template <class Net>
  struct state {
    double beta1_power = 1;  ///< beta1^t
    double beta2_power = 1;  ///< beta2^t
    Net m{};
    Net v{};
    [[no_unique_address]] std::conditional_t<AmsGrad, Net, no_state> v_max{};
  };

  static status validate(const options& o) noexcept {
    if (!detail::finite_non_negative(o.learning_rate) || !detail::finite_non_negative(o.weight_decay))
      return status::error(status_code::invalid_argument) << name << ": learning_rate and weight_decay must be finite and >= 0";
    // PyTorch accepts eps = 0, and then divides 0 by 0 for every parameter whose gradient has
    // always been zero; here every padding lane of every layer is one, and its NaN would reach
    // the input gradients of the next step, which would be refused from then on.
    if (!detail::finite_positive(o.eps))
      return status::error(status_code::invalid_argument)
             << name << ": eps must be finite and > 0 (with eps = 0, a parameter whose gradient has always been zero becomes 0/0)";
    if (!(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1))
      return status::error(status_code::invalid_argument) << name << ": beta1 and beta2 must be in [0, 1)";
    return {};
  }

  /// One update; adds each layer's squared update norm to update_sq[layer].
  template <class Net, class Gradients>
  static void update(Net& net, Gradients& grads, state<Net>& s, const options& o, std::uint64_t step,
                     std::span<double> update_sq) noexcept {
    using T = typename Net::value_type;
    (void)step;
    s.beta1_power *= double(o.beta1);
    s.beta2_power *= double(o.beta2);
    const kernels::adam_constants<T> c{T(o.beta1),
                                       T(o.beta2),
                                       T(1.0 - double(o.beta1)),
                                       T(1.0 - double(o.beta2)),
                                       T(double(o.learning_rate) / (1.0 - s.beta1_power)),
                                       T(1.0 / std::sqrt(1.0 - s.beta2_power)),
                                       T(o.eps),
                                       T(o.weight_decay),
                                       T(1.0 - double(o.learning_rate) * double(o.weight_decay))};
    if constexpr (AmsGrad)
      net.zip_layer_buffers(
          [&](std::size_t layer, std::span<T> p, std::span<T> g, std::span<T> m, std::span<T> v, std::span<T> v_max) {
            update_sq[layer] += grads.apply(layer, g, [&](const auto& gradient, std::size_t rows, std::size_t width) {
              return kernels::active::adam_update<Decoupled, true>(p.data(), gradient, m.data(), v.data(), v_max.data(),
                                                                   rows, width, c);
            });
          },
          grads.storage(), s.m, s.v, s.v_max);
    else
      net.zip_layer_buffers(
          [&](std::size_t layer, std::span<T> p, std::span<T> g, std::span<T> m, std::span<T> v) {
            update_sq[layer] += grads.apply(layer, g, [&](const auto& gradient, std::size_t rows, std::size_t width) {
              return kernels::active::adam_update<Decoupled, false>(p.data(), gradient, m.data(), v.data(),
                                                                    static_cast<T*>(nullptr), rows, width, c);
            });
          },
          grads.storage(), s.m, s.v);
  }
};

using adam = basic_adam<false, false>;
using adamw = basic_adam<true, false>;
using adam_amsgrad = basic_adam<false, true>;
using adamw_amsgrad = basic_adam<true, true>;

}  // namespace ctnn
