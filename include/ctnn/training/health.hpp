// ctnn/training/health.hpp - per-layer gradient health: see vanishing and exploding gradients.
//
//   auto report = ctnn::gradient_health(trainer, net);    // after trainer.step(...)
//   for (const auto& l : report.layers) ... l.gradient_norm, l.update_ratio, l.dead_fraction ...
//
// For every layer, from the last batch the trainer saw:
//   gradient_norm       L2 norm of the layer's parameter gradients (before clipping)
//   weight_norm         L2 norm of its trainable parameters (weights and bias; gamma and beta)
//   update_ratio        ||last update|| / ||parameters||: around 1e-3 is healthy; far below
//                       means the layer has stopped learning, far above that it thrashes
//   saturated_fraction  tanh and sigmoid: share of outputs within 1% of the asymptotes
//                       (|tanh| > 0.99; sigmoid < 0.01 or > 0.99), where the derivative vanishes
//   dead_fraction       ReLU: share of units that output 0 for every sample of the batch
// Costs one pass over the parameters and the batch's activations; allocates nothing.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <utility>

#include "../layers/activations.hpp"
#include "../layers/layer_kind.hpp"

namespace ctnn {

/// Health figures of one layer.
struct layer_health {
  const char* name = "";        ///< layer kind: dense, batch_norm, softmax, or the activation
  const char* activation = "";  ///< the (fused) activation, "" for layers without one
  std::size_t parameters = 0;   ///< parameter count (canonical, as in a weight file)
  double gradient_norm = 0;
  double weight_norm = 0;
  double update_ratio = 0;
  double saturated_fraction = 0;
  double dead_fraction = 0;
};

/// Health of every layer of a network, in layer order.
template <std::size_t LayerCount>
struct health_report {
  std::array<layer_health, LayerCount> layers{};
  double total_gradient_norm = 0;
};

namespace detail {
template <class L>
concept has_activation_member = requires { typename L::activation; };

/// Saturation and death from the layer's output rows (Batch rows of out_stride values).
template <class L, std::size_t Batch, class T>
void output_health(const T* rows, layer_health& h) noexcept {
  if constexpr (has_activation_member<L>) {
    using A = typename L::activation;
    h.activation = A::name;
    constexpr std::size_t n = L::out_size, stride = L::out_stride;
    if constexpr (A::kind == activation_kind::tanh || A::kind == activation_kind::sigmoid) {
      std::size_t saturated = 0;
      for (std::size_t b = 0; b < Batch; ++b)
        for (std::size_t j = 0; j < n; ++j) {
          const T y = rows[b * stride + j];
          saturated += A::kind == activation_kind::tanh ? (y > T(0.99) || y < T(-0.99)) : (y > T(0.99) || y < T(0.01));
        }
      h.saturated_fraction = double(saturated) / double(Batch * n);
    } else if constexpr (A::kind == activation_kind::relu) {
      std::size_t dead = 0;
      for (std::size_t j = 0; j < n; ++j) {
        bool alive = false;
        for (std::size_t b = 0; b < Batch && !alive; ++b) alive = rows[b * stride + j] > T(0);
        dead += !alive;
      }
      h.dead_fraction = double(dead) / double(n);
    }
  }
}
}  // namespace detail

/// The health of every layer after the trainer's last step (or compute_gradients).
template <class Trainer, class Net>
health_report<Net::layer_count> gradient_health(const Trainer& trainer, Net& net) noexcept {
  using T = typename Net::value_type;
  health_report<Net::layer_count> report;
  std::array<double, Net::layer_count> weight_sq{};
  net.zip_layer_buffers([&](std::size_t layer, std::span<const T> p) {
    for (T v : p) weight_sq[layer] += double(v) * double(v);
  });
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          using L = typename Net::template layer_type<I>;
          layer_health& h = report.layers[I];
          h.name = L::name;
          h.parameters = L::parameter_count;
          h.gradient_norm = std::sqrt(trainer.gradient_squared_norms()[I]);
          h.weight_norm = std::sqrt(weight_sq[I]);
          h.update_ratio = h.weight_norm > 0 ? std::sqrt(trainer.update_squared_norms()[I]) / h.weight_norm : 0.0;
          detail::output_health<L, Trainer::batch_size>(trainer.template activation<I>(), h);
          report.total_gradient_norm += trainer.gradient_squared_norms()[I];
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});
  report.total_gradient_norm = std::sqrt(report.total_gradient_norm);
  return report;
}

}  // namespace ctnn
