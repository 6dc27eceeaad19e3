// ctnn/training/trainer.hpp - the training state of one network type, and one training step.
//
//   ctnn::trainer<net_t, ctnn::softmax_cross_entropy, ctnn::adam, 32> t{{.learning_rate = 1e-3f}};
//   auto report = t.step(net, inputs, labels);   // forward, backward, update
//
// A trainer owns everything training needs beyond the parameters: a chain_state (each layer's
// activations for the batch, per-layer training state, two alternating gradient rows), the
// parameter gradients (a network-shaped object) and the optimizer's state (more
// network-shaped objects). All of it is fixed-size; nothing is allocated. A step is refused
// before the update, parameters and optimizer state left bit-identical and the report saying
// why, when a hyper-parameter is out of range (negative, NaN or infinite), a target is
// invalid, the loss or a gradient is not finite, or the gradient's squared norm passes the
// float range. Not checked: an update that overflows from finite values near the float range
// (a learning rate of 1e30 on a gradient of 1e10), which would need a pass over the new
// parameters before any is written.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <tuple>
#include <utility>

#include "../config.hpp"
#include "../kernels/kernels.hpp"
#include "../layers/activations.hpp"
#include "../layers/softmax.hpp"
#include "../status.hpp"
#include "chain.hpp"
#include "clipping.hpp"
#include "gradients.hpp"
#include "losses.hpp"
#include "outer_product.hpp"

namespace ctnn {

/// Batch 1: whether a step updates dense layers straight from the outer product x dz, without
/// storing the weight gradient (training/outer_product.hpp). automatic: wherever it applies (a
/// network of dense, activation and softmax layers, no clipping by value). It pays for large
/// and small networks alike: L with Adam 60.5 -> 49.3 us per step, S with SGD (T2) 173 -> 138 ns
/// (bench/RESULTS.md). never: the gradient is stored and read back, as at other batch sizes.
enum class outer_product_mode : std::uint8_t { automatic, never };

/// Options of a trainer that do not belong to the optimizer. Zero disables a clipping.
struct training_options {
  float clip_value = 0.0f;  ///< clamp every gradient to [-clip_value, clip_value]
  float clip_norm = 0.0f;   ///< rescale gradients to a global L2 norm of at most clip_norm
  std::uint64_t seed = 0;   ///< seeds the dropout masks (with each layer's index)
  outer_product_mode outer_product = outer_product_mode::automatic;
};

/// What a step did: the mean loss of the batch, the global gradient norm before clipping, and
/// whether the update was applied.
struct [[nodiscard]] step_report {
  double loss = 0;
  double gradient_norm = 0;
  ctnn::status status{};
  bool ok() const noexcept { return status.ok(); }
};

namespace detail {
template <class T>
struct is_softmax_layer : std::false_type {};
template <class T, std::size_t N>
struct is_softmax_layer<softmax_layer<T, N>> : std::true_type {};
template <class L>
concept has_activation = requires { typename L::activation; };
template <class L>
constexpr bool ends_in_sigmoid() {
  if constexpr (has_activation<L>) return L::activation::kind == activation_kind::sigmoid;
  return false;
}
}  // namespace detail

template <class Net, class Loss, class Optimizer, std::size_t Batch>
class trainer {
 public:
  using network_type = Net;
  using value_type = typename Net::value_type;
  using T = value_type;
  using loss_type = Loss;
  using optimizer_type = Optimizer;
  using options_type = typename Optimizer::options;
  using target_type = typename Loss::template target_type<T, Net::output_size>;
  using input_row = std::array<T, Net::input_size>;
  static constexpr std::size_t batch_size = Batch;
  static constexpr std::size_t layer_count = Net::layer_count;

  static_assert(Batch > 0, "ctnn::trainer<Net, Loss, Optimizer, Batch>: the batch needs at least one sample");
  static_assert(!(Loss::takes_logits && std::is_same_v<Loss, softmax_cross_entropy> &&
                  detail::is_softmax_layer<typename Net::template layer_type<layer_count - 1>>::value),
                "ctnn::softmax_cross_entropy takes logits: remove the final ctnn::softmax layer "
                "(the loss applies softmax itself, fused and log-sum-exp stable)");
  static_assert(!(std::is_same_v<Loss, binary_cross_entropy> &&
                  detail::ends_in_sigmoid<typename Net::template layer_type<layer_count - 1>>()),
                "ctnn::binary_cross_entropy takes logits: remove the final sigmoid "
                "(the loss applies it itself, fused and stable)");

  explicit trainer(options_type options = {}, training_options training = {}) noexcept
      : options_(options), training_(training) {
    chain_.seed(training.seed, [](std::size_t layer) { return std::uint64_t(layer); });
  }

  /// Forward, backward and update for one mini-batch. Refuses (status not ok, nothing
  /// changed) on an invalid target, a non-finite loss or a non-finite gradient.
  step_report step(Net& net, const std::array<input_row, Batch>& inputs,
                   const std::array<target_type, Batch>& targets) noexcept {
    return step(net, inputs.data(), targets.data());
  }

  /// As above, from Batch contiguous input rows and Batch targets.
  step_report step(Net& net, const input_row* inputs, const target_type* targets) noexcept {
    if (auto s = Optimizer::validate(options_); !s.ok()) return {0, 0, s};
    // Batch 1: the weight gradients stay outer products (training/outer_product.hpp), unless
    // clipping by value needs them stored.
    const bool outer_product = outer_product_step && training_.clip_value == 0 &&
                               training_.outer_product == outer_product_mode::automatic;
    step_report report = outer_product ? compute_outer_product(net, inputs, targets) : compute_gradients(net, inputs, targets);
    if (!report.ok()) return report;
    if (!std::isfinite(report.loss)) {
      report.status = status::error(status_code::non_finite_loss)
                      << "step " << (step_count_ + 1) << " refused: the loss is " << report.loss;
      return report;
    }
    double sum_of_squares = 0;
    for (double sq : gradient_sq_) sum_of_squares += sq;
    report.gradient_norm = std::sqrt(sum_of_squares);
    // A norm whose square passes T's range is refused on both paths (each measures squares in
    // double, the outer product without forming the gradient): an optimizer squaring such a
    // gradient (Adam's v, RMSProp's average) would store infinity.
    if (!(sum_of_squares < double(std::numeric_limits<T>::max()))) {
      report.status = status::error(status_code::non_finite_gradient) << "step " << (step_count_ + 1) << " refused: ";
      if (std::isfinite(sum_of_squares))
        report.status << "the gradient's squared norm " << sum_of_squares << " is past the largest float (loss ";
      else
        report.status << "a gradient or its squared norm is not finite (loss ";
      report.status << report.loss << ")";
      return report;
    }
    if (outer_product) {
      if constexpr (outer_product_step)
        if (training_.clip_norm > 0) outer_.scale(T(norm_clipping_factor(training_.clip_norm, report.gradient_norm)));
    } else {
      if (training_.clip_value > 0) clip_gradients_by_value(grads_, training_.clip_value);
      if (training_.clip_norm > 0) {
        // The backward pass already measured the norm, unless value clipping has just changed it.
        const double norm =
            training_.clip_value > 0 ? std::sqrt(gradient_sum_of_squares(grads_)) : report.gradient_norm;
        scale_gradients_to_norm(grads_, training_.clip_norm, norm);
      }
    }
    ++step_count_;
    update_sq_.fill(0.0);
    if (outer_product) {
      if constexpr (outer_product_step) {
        const auto sources = outer_.sources(chain_);
        outer_product_gradients<Net> gradients{grads_, sources, gradient_sq_};
        Optimizer::update(net, gradients, optimizer_state_, options_, step_count_, std::span<double>(update_sq_));
      }
    } else {
      stored_gradients<Net> gradients{grads_};
      Optimizer::update(net, gradients, optimizer_state_, options_, step_count_, std::span<double>(update_sq_));
    }
    chain_.commit(net);
    return report;
  }

  /// Forward and backward only: fills gradients() and returns the mean loss; the network and
  /// the optimizer state are not touched.
  step_report compute_gradients(const Net& net, const std::array<input_row, Batch>& inputs,
                                const std::array<target_type, Batch>& targets) noexcept {
    return compute_gradients(net, inputs.data(), targets.data());
  }
  step_report compute_gradients(const Net& net, const input_row* inputs, const target_type* targets) noexcept {
    const T* x = nullptr;
    T* dy = chain_.output_gradient();
    step_report report = forward_with_loss(net, inputs, targets, x, dy);
    if (!report.ok()) return report;
    chain_.template backward<false>(net, x, dy, grads_);
    gradients_pending_ = false;
    gradient_sq_.fill(0.0);
    grads_.zip_layer_buffers([&](std::size_t layer, std::span<const T> g) {
      gradient_sq_[layer] += kernels::active::sum_of_squares_in_double(g.data(), g.size());
    });
    return report;
  }

  /// Gradients of the last compute_gradients() or step() (after the step's clipping). After an
  /// outer-product step they are written on the first call, so concurrent first calls on one
  /// trainer race like any other use of it from two threads.
  const Net& gradients() const noexcept {
    if constexpr (outer_product_step) {
      if (gradients_pending_) outer_.materialize(grads_, chain_), gradients_pending_ = false;
    }
    return grads_;
  }
  /// Per layer: squared L2 norm of the last batch's gradients before clipping.
  const std::array<double, layer_count>& gradient_squared_norms() const noexcept { return gradient_sq_; }
  /// Per layer: squared L2 norm of the last accepted update (parameters after - before; where
  /// SGD's update is lr times an outer-product gradient, lr^2 times its norm, computed in
  /// double rather than summed from the float update).
  const std::array<double, layer_count>& update_squared_norms() const noexcept { return update_sq_; }
  /// Output rows of layer I for the last batch (row stride layer_type<I>::out_stride).
  template <std::size_t I>
  const T* activation() const noexcept {
    return chain_.template output<I>();
  }
  options_type& options() noexcept { return options_; }
  training_options& training() noexcept { return training_; }
  std::uint64_t step_count() const noexcept { return step_count_; }
  const typename Optimizer::template state<Net>& optimizer_state() const noexcept { return optimizer_state_; }

 private:
  static constexpr bool outer_product_step = Batch == 1 && outer_product_trainable<Net>;

  /// Validates the targets, runs the forward pass on the prepared input (returned in x) and
  /// writes the loss gradient at the output into dy.
  step_report forward_with_loss(const Net& net, const input_row* inputs, const target_type* targets, const T*& x,
                                T* dy) noexcept {
    if (auto s = Loss::template validate<T, Net::output_size>(targets, Batch); !s.ok()) return {0, 0, s};
    x = prepare_input(inputs);
    chain_.forward(net, x);
    constexpr std::size_t last = layer_count - 1;
    return {Loss::template evaluate<Batch, Net::output_size, Net::template layer_type<last>::out_stride>(
                chain_.template output<last>(), targets, dy),
            0, {}};
  }

  /// compute_gradients' batch-1 twin: forward, loss and the outer-product backward pass.
  step_report compute_outer_product(const Net& net, const input_row* inputs, const target_type* targets) noexcept {
    if constexpr (outer_product_step) {
      const T* x = nullptr;
      step_report report = forward_with_loss(net, inputs, targets, x, outer_.output_gradient());
      if (!report.ok()) return report;
      outer_.backward(net, x, chain_, gradient_sq_);
      gradients_pending_ = true;
      return report;
    } else {
      return compute_gradients(net, inputs, targets);
    }
  }

  static constexpr bool reads_unpadded_input = Net::template layer_type<0>::accepts_unpadded_input;
  static constexpr std::size_t input_copy_size = reads_unpadded_input ? 1 : Batch * padded<T>(Net::input_size);

  const T* prepare_input(const input_row* inputs) noexcept {
    if constexpr (reads_unpadded_input) {
      return inputs->data();
    } else {
      constexpr std::size_t stride = padded<T>(Net::input_size);
      for (std::size_t b = 0; b < Batch; ++b)
        for (std::size_t i = 0; i < stride; ++i) input_copy_.data[b * stride + i] = i < Net::input_size ? inputs[b][i] : T(0);
      return input_copy_.data.data();
    }
  }

  options_type options_;
  training_options training_;
  std::uint64_t step_count_ = 0;
  detail::chain_state<Net, Batch> chain_{};
  std::array<double, layer_count> gradient_sq_{};
  std::array<double, layer_count> update_sq_{};
  detail::aligned_rows<T, input_copy_size> input_copy_{};
  mutable Net grads_{};
  mutable bool gradients_pending_ = false;
  [[no_unique_address]] std::conditional_t<outer_product_step, outer_product_pass<Net>, detail::no_training_state> outer_{};
  typename Optimizer::template state<Net> optimizer_state_{};
};

}  // namespace ctnn
