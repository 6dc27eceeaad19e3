// ctnn/training/schedules.hpp - learning-rate schedules: torch.optim.lr_scheduler as plain values.
//
//   ctnn::sequential_schedule schedule{ctnn::linear_warmup{.base_lr = 0.1f, .start_factor = 0.1f, .total_iters = 10},
//                                      10, ctnn::cosine_annealing{.base_lr = 0.1f, .t_max = 90}};
//   for (std::uint64_t epoch = 0; epoch < 100; ++epoch) {
//     trainer.options().learning_rate = schedule(epoch);   // any optimizer: they all read options().learning_rate
//     ... train one epoch ...
//   }
//
// A schedule is a small aggregate of float hyper-parameters (like the optimizers' options) and
// a const call operator from t, the 0-based epoch or step index, to the learning rate of that
// epoch: t is PyTorch's `last_epoch`, the number of scheduler.step() calls so far, so s(t) is
// what get_last_lr() returns after t calls. Per step, pass trainer.step_count().
//
// PyTorch computes most schedules recursively (lr_t from lr_{t-1}, its "chainable form"), which
// lets several schedulers stack on one optimizer. ctnn computes the closed form instead: a
// schedule is then a pure function of t, holds no state, can be evaluated at any t in any
// order, and does not accumulate rounding. Both are evaluated in double, as Python does, and
// agree to 2e-14 relative over 100 steps, most to ~1e-15 (tests/schedules_test.cpp measures it
// against tests/golden/schedules.txt); the learning rate is rounded to float once, when
// assigned to the optimizer's options. ctnn::reduce_on_plateau depends on the metrics seen, so it is the
// one stateful value here: it replicates ReduceLROnPlateau step by step.
#pragma once

#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>

namespace ctnn {

/// A learning-rate schedule: s(t) is the learning rate of the 0-based epoch (or step) t. Any
/// noexcept callable qualifies, so a lambda is PyTorch's LambdaLR.
template <class S>
concept learning_rate_schedule = requires(const S& s, std::uint64_t t) {
  { s(t) } noexcept -> std::convertible_to<double>;
};

namespace detail {
/// x^n by repeated squaring: constexpr, unlike std::pow, and within a few ulp of it.
constexpr double integer_power(double x, std::uint64_t n) noexcept {
  double result = 1;
  for (; n != 0; n >>= 1, x *= x)
    if (n & 1) result *= x;
  return result;
}
}  // namespace detail

/// lr = base_lr at every t. PyTorch: no scheduler, or LambdaLR(lambda t: 1).
struct constant_schedule {
  float base_lr = 0.01f;  ///< the learning rate
  constexpr double operator()(std::uint64_t) const noexcept { return base_lr; }
};

/// StepLR: lr = base_lr * gamma^floor(t / step_size). A step_size of 0 never decays (PyTorch
/// divides by zero).
struct step_decay {
  float base_lr = 0.01f;        ///< lr of the first step_size epochs
  std::uint64_t step_size = 0;  ///< epochs between decays (required)
  float gamma = 0.1f;           ///< factor applied every step_size epochs
  constexpr double operator()(std::uint64_t t) const noexcept {
    return double(base_lr) * detail::integer_power(gamma, step_size == 0 ? 0 : t / step_size);
  }
};

/// MultiStepLR: lr = base_lr * gamma^(number of milestones <= t). Milestones need not be
/// sorted; one listed twice decays twice, as in PyTorch (which counts them).
template <std::size_t N>
struct multi_step_decay {
  float base_lr = 0.01f;                       ///< lr before the first milestone
  std::array<std::uint64_t, N> milestones{};  ///< epochs at which lr is multiplied by gamma
  float gamma = 0.1f;                          ///< factor applied at each milestone
  constexpr double operator()(std::uint64_t t) const noexcept {
    std::uint64_t passed = 0;
    for (std::uint64_t m : milestones) passed += m <= t ? 1 : 0;
    return double(base_lr) * detail::integer_power(gamma, passed);
  }
};

/// ExponentialLR: lr = base_lr * gamma^t.
struct exponential_decay {
  float base_lr = 0.01f;  ///< lr at t = 0
  float gamma = 1.0f;     ///< factor applied every epoch (required: 1 is no decay)
  constexpr double operator()(std::uint64_t t) const noexcept { return double(base_lr) * detail::integer_power(gamma, t); }
};

/// CosineAnnealingLR, closed form: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi t / t_max)) / 2.
/// Past t_max it rises again, with period 2 t_max, as PyTorch's does (no restarts: that is
/// CosineAnnealingWarmRestarts). A t_max of 0 holds base_lr (PyTorch divides by zero). Not
/// usable in constant expressions: std::cos is not constexpr before C++26.
struct cosine_annealing {
  float base_lr = 0.01f;    ///< lr at t = 0 (eta_max)
  std::uint64_t t_max = 0;  ///< epochs from base_lr down to eta_min (required)
  float eta_min = 0.0f;     ///< lr at t = t_max
  double operator()(std::uint64_t t) const noexcept {
    if (t_max == 0) return base_lr;
    // The schedule has period 2 t_max; reducing t first keeps pi * t exact for long runs, and
    // is the same value (to the last bit for t < 2 t_max) as PyTorch's pi * t / t_max.
    // t % (2 t_max) without forming 2 t_max, which wraps (or is 0) for t_max >= 2^63.
    const std::uint64_t half_period = t / t_max, within = t % t_max;
    const double reduced = double(within) + (half_period % 2 == 1 ? double(t_max) : 0.0);
    const double phase = std::numbers::pi * reduced / double(t_max);
    return double(eta_min) + (double(base_lr) - double(eta_min)) * (1 + std::cos(phase)) / 2;
  }
};

/// LinearLR: lr = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters):
/// a linear warm-up (start_factor < end_factor) or decay, then constant. A total_iters of 0
/// is no ramp at all: base_lr * end_factor from t = 0.
struct linear_warmup {
  float base_lr = 0.01f;            ///< the learning rate that factors multiply
  float start_factor = 1.0f / 3;    ///< factor at t = 0 (PyTorch's default)
  float end_factor = 1.0f;          ///< factor from t = total_iters on
  std::uint64_t total_iters = 5;    ///< epochs of the ramp
  constexpr double operator()(std::uint64_t t) const noexcept {
    if (total_iters == 0) return double(base_lr) * double(end_factor);
    const double done = double(t < total_iters ? t : total_iters);
    return double(base_lr) *
           (double(start_factor) + (double(end_factor) - double(start_factor)) * done / double(total_iters));
  }
};

/// SequentialLR with one milestone: lr = first(t) for t < milestone, second(t - milestone)
/// after, so the second schedule starts from its own t = 0, as PyTorch's does. Nest for more
/// phases: sequential_schedule{a, m1, sequential_schedule{b, m2 - m1, c}}.
template <class First, class Second>
struct sequential_schedule {
  static_assert(learning_rate_schedule<First>,
                "ctnn::sequential_schedule<First, Second>: First must be a learning-rate schedule, "
                "callable as first(std::uint64_t epoch) noexcept and returning the learning rate");
  static_assert(learning_rate_schedule<Second>,
                "ctnn::sequential_schedule<First, Second>: Second must be a learning-rate schedule, "
                "callable as second(std::uint64_t epoch) noexcept and returning the learning rate");
  First first;              ///< the schedule of epochs [0, milestone), typically a warm-up
  std::uint64_t milestone;  ///< first epoch of the second schedule
  Second second;            ///< the schedule from milestone on, evaluated at t - milestone

  /// Runs first_schedule before switch_epoch and second_schedule (from its t = 0) after.
  constexpr sequential_schedule(First first_schedule, std::uint64_t switch_epoch, Second second_schedule) noexcept
      : first(first_schedule), milestone(switch_epoch), second(second_schedule) {}
  constexpr double operator()(std::uint64_t t) const noexcept { return t < milestone ? first(t) : second(t - milestone); }
};

/// Whether reduce_on_plateau's metric should fall (a loss) or rise (an accuracy).
enum class plateau_mode { min, max };
/// How far past the best value a metric must get to count as an improvement.
enum class plateau_threshold {
  rel,  ///< beyond best * (1 -/+ threshold) (min/max mode)
  abs,  ///< beyond best -/+ threshold
};

/// Hyper-parameters of reduce_on_plateau; the defaults are PyTorch's.
struct plateau_options {
  float base_lr = 0.01f;                                      ///< the learning rate before any reduction
  plateau_mode mode = plateau_mode::min;                      ///< min: a loss; max: an accuracy
  float factor = 0.1f;                                        ///< lr multiplier of a reduction, < 1
  std::uint32_t patience = 10;                                ///< bad epochs tolerated before a reduction
  float threshold = 1e-4f;                                    ///< the margin an improvement must clear
  plateau_threshold threshold_mode = plateau_threshold::rel;  ///< is the margin relative or absolute
  std::uint32_t cooldown = 0;                                 ///< epochs not counted after a reduction
  float min_lr = 0.0f;                                        ///< lr never goes below this
  float eps = 1e-8f;                                          ///< reductions smaller than this are skipped
};

/// ReduceLROnPlateau, step for step: call step(metric) once per epoch; after more than
/// `patience` epochs in a row without improvement, lr becomes max(lr * factor, min_lr) (only
/// if that lowers it by more than eps), then `cooldown` epochs pass in which bad epochs are not
/// counted. A NaN metric is never an improvement, as in PyTorch.
///   ctnn::reduce_on_plateau plateau{{.base_lr = 0.1f, .patience = 5}};
///   trainer.options().learning_rate = float(plateau.step(validation_loss));   // once per epoch
class reduce_on_plateau {
 public:
  using options = plateau_options;

  /// Starts at o.base_lr with no best metric yet.
  constexpr explicit reduce_on_plateau(const options& o = {}) noexcept
      : options_(o),
        lr_(o.base_lr),
        best_(o.mode == plateau_mode::min ? std::numeric_limits<double>::infinity()
                                          : -std::numeric_limits<double>::infinity()) {}

  /// Takes this epoch's metric and returns the learning rate for the next epoch.
  constexpr double step(double metric) noexcept {
    if (improves(metric)) {
      best_ = metric;
      bad_epochs_ = 0;
    } else {
      ++bad_epochs_;
    }
    if (cooldown_left_ > 0) {
      --cooldown_left_;
      bad_epochs_ = 0;  // epochs in cooldown are not held against the metric
    }
    if (bad_epochs_ > options_.patience) {
      const double reduced = lr_ * double(options_.factor);
      const double lowest = options_.min_lr;
      const double next = reduced < lowest ? lowest : reduced;
      if (lr_ - next > double(options_.eps)) lr_ = next;
      cooldown_left_ = options_.cooldown;
      bad_epochs_ = 0;
    }
    return lr_;
  }

  /// The current learning rate: base_lr until the first reduction.
  constexpr double learning_rate() const noexcept { return lr_; }
  /// The best metric so far (+infinity in min mode, -infinity in max mode before any).
  constexpr double best() const noexcept { return best_; }
  /// Epochs in a row without improvement, outside cooldown.
  constexpr std::uint64_t bad_epochs() const noexcept { return bad_epochs_; }
  /// Whether the last reduction's cooldown is still running.
  constexpr bool in_cooldown() const noexcept { return cooldown_left_ > 0; }

 private:
  constexpr bool improves(double metric) const noexcept {
    const double th = options_.threshold;
    if (options_.mode == plateau_mode::min)
      return options_.threshold_mode == plateau_threshold::rel ? metric < best_ * (1. - th) : metric < best_ - th;
    return options_.threshold_mode == plateau_threshold::rel ? metric > best_ * (th + 1.) : metric > best_ + th;
  }

  options options_;
  double lr_;
  double best_;
  std::uint64_t bad_epochs_ = 0;
  std::uint32_t cooldown_left_ = 0;
};

}  // namespace ctnn
