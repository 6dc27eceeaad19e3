// Learning-rate schedules against torch.optim.lr_scheduler, and in use with a trainer.
//
// tests/golden/make_schedule_golden.py writes schedules.txt: each PyTorch scheduler's learning
// rate over 100 epochs (get_last_lr() of its recursive, chainable form) and ReduceLROnPlateau's
// over 100 metrics. ctnn's closed forms must match to 1e-6 relative (|got - want| / |want|; where
// want is exactly 0, as cosine annealing's is at odd multiples of t_max, |got| / base_lr);
// measured, they agree to ~1e-15, and ReduceLROnPlateau, which ctnn replays with the same
// double arithmetic, exactly. Run with --log_level=message to see each maximum.
#define BOOST_TEST_MODULE schedules
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <ctnn/ctnn.hpp>

#include "support/golden.hpp"
#include "support/worst.hpp"

using namespace test_support;

namespace {

constexpr std::size_t epochs = 100;
// The schedules compute in double: README quotes 2e-14 against torch's; 1e-12 leaves room for
// a compiler contracting a multiply-add, and catches any formula that differs.
constexpr double tolerance = 1e-12;

const golden_file& golden() {
  static const golden_file file(CTNN_TEST_DATA_DIR "/golden/schedules.txt");
  return file;
}

/// Largest relative error of got against want; base scales the error where want is 0.
double max_relative_error_to(const std::vector<double>& got, const std::vector<double>& want, double base) {
  if (got.size() != want.size()) return 1e300;
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double e = std::fabs(got[i] - want[i]) / (want[i] != 0 ? std::fabs(want[i]) : base);
    worst = worst_of(worst, e);
  }
  return worst;
}

template <class Schedule>
void check_against_torch(const std::string& name, const Schedule& schedule, double base_lr) {
  std::vector<double> got;
  for (std::uint64_t t = 0; t < epochs; ++t) got.push_back(schedule(t));
  const double error = max_relative_error_to(got, golden()[name], base_lr);
  BOOST_TEST_MESSAGE(name << ": max relative error " << error);
  BOOST_TEST(error < tolerance, name << ": max relative error " << error);
}

void check_plateau_against_torch(const std::string& name, const std::string& metric, ctnn::plateau_options options) {
  ctnn::reduce_on_plateau plateau{options};
  std::vector<double> got;
  for (double m : golden()["plateau/" + metric]) got.push_back(plateau.step(m));
  const double error = max_relative_error_to(got, golden()[name], options.base_lr);
  BOOST_TEST_MESSAGE(name << ": max relative error " << error);
  BOOST_TEST(error < tolerance, name << ": max relative error " << error);
}

}  // namespace

// Schedules are plain values: the concept, constant evaluation, triviality.
static_assert(ctnn::learning_rate_schedule<ctnn::constant_schedule>);
static_assert(ctnn::learning_rate_schedule<ctnn::step_decay>);
static_assert(ctnn::learning_rate_schedule<ctnn::multi_step_decay<3>>);
static_assert(ctnn::learning_rate_schedule<ctnn::exponential_decay>);
static_assert(ctnn::learning_rate_schedule<ctnn::cosine_annealing>);
static_assert(ctnn::learning_rate_schedule<ctnn::linear_warmup>);
static_assert(ctnn::learning_rate_schedule<ctnn::sequential_schedule<ctnn::linear_warmup, ctnn::cosine_annealing>>);
static_assert(!ctnn::learning_rate_schedule<ctnn::reduce_on_plateau>);  // driven by a metric, not by t
static_assert(std::is_trivially_copyable_v<ctnn::sequential_schedule<ctnn::linear_warmup, ctnn::cosine_annealing>>);
static_assert(std::is_trivially_copyable_v<ctnn::reduce_on_plateau>);
static_assert(ctnn::step_decay{.base_lr = 1, .step_size = 10, .gamma = 0.5f}(25) == 0.25);
static_assert(ctnn::multi_step_decay<3>{.base_lr = 1, .milestones = {5, 2, 5}, .gamma = 0.5f}(5) == 0.125);
static_assert(ctnn::exponential_decay{.base_lr = 1, .gamma = 0.5f}(3) == 0.125);
static_assert(ctnn::linear_warmup{.base_lr = 1, .start_factor = 0.5f, .end_factor = 1, .total_iters = 4}(2) == 0.75);
static_assert(ctnn::sequential_schedule{ctnn::constant_schedule{.base_lr = 0.5f}, 3,
                                        ctnn::step_decay{.base_lr = 1, .step_size = 2, .gamma = 0.5f}}(7) == 0.25);
static_assert([] {
  ctnn::reduce_on_plateau p{{.base_lr = 1, .factor = 0.5f, .patience = 1}};
  for (double m : {3.0, 3.0, 3.0}) p.step(m);
  return p.learning_rate();
}() == 0.5);

BOOST_AUTO_TEST_CASE(constant_matches_torch) {
  check_against_torch("constant/a", ctnn::constant_schedule{.base_lr = 0.1f}, 0.1);
}

BOOST_AUTO_TEST_CASE(step_decay_matches_torch) {
  check_against_torch("step/a", ctnn::step_decay{.base_lr = 0.1f, .step_size = 30, .gamma = 0.1f}, 0.1);
  check_against_torch("step/b", ctnn::step_decay{.base_lr = 0.05f, .step_size = 7, .gamma = 0.5f}, 0.05);
}

BOOST_AUTO_TEST_CASE(multi_step_decay_matches_torch) {
  check_against_torch("multi_step/a", ctnn::multi_step_decay<3>{.base_lr = 0.1f, .milestones = {30, 60, 90}, .gamma = 0.1f},
                      0.1);
  check_against_torch("multi_step/b",
                      ctnn::multi_step_decay<4>{.base_lr = 1.0f, .milestones = {10, 25, 25, 70}, .gamma = 0.5f}, 1.0);
}

BOOST_AUTO_TEST_CASE(exponential_decay_matches_torch) {
  check_against_torch("exponential/a", ctnn::exponential_decay{.base_lr = 0.1f, .gamma = 0.95f}, 0.1);
  check_against_torch("exponential/b", ctnn::exponential_decay{.base_lr = 1.0f, .gamma = 0.9f}, 1.0);
}

// PyTorch's get_last_lr() comes from its recursive form, lr_t = eta_min + (lr_{t-1} - eta_min) *
// (1 + cos(pi t / T)) / (1 + cos(pi (t - 1) / T)), with an additive step just past each odd
// multiple of T; ctnn evaluates the closed form. Same values, different rounding: see the message.
BOOST_AUTO_TEST_CASE(cosine_annealing_matches_torch) {
  check_against_torch("cosine/a", ctnn::cosine_annealing{.base_lr = 0.1f, .t_max = 100, .eta_min = 0}, 0.1);
  check_against_torch("cosine/b", ctnn::cosine_annealing{.base_lr = 0.05f, .t_max = 30, .eta_min = 1e-3f}, 0.05);
  check_against_torch("cosine/c", ctnn::cosine_annealing{.base_lr = 1.0f, .t_max = 7, .eta_min = 0}, 1.0);
}

BOOST_AUTO_TEST_CASE(linear_warmup_matches_torch) {
  check_against_torch("linear/a", ctnn::linear_warmup{.base_lr = 0.1f}, 0.1);  // torch's defaults: 1/3 -> 1 over 5
  check_against_torch("linear/b",
                      ctnn::linear_warmup{.base_lr = 0.1f, .start_factor = 1.0f, .end_factor = 0.05f, .total_iters = 60},
                      0.1);
  check_against_torch("linear/c",
                      ctnn::linear_warmup{.base_lr = 0.01f, .start_factor = 0.001f, .end_factor = 1.0f, .total_iters = 20},
                      0.01);
}

// SequentialLR restarts the second schedule at the milestone with its closed form (step(0)),
// then continues recursively: the second schedule's own t = 0 falls on the milestone.
BOOST_AUTO_TEST_CASE(sequential_matches_torch) {
  check_against_torch("sequential/a",
                      ctnn::sequential_schedule{ctnn::linear_warmup{.base_lr = 0.1f, .start_factor = 0.1f, .total_iters = 10},
                                                10, ctnn::cosine_annealing{.base_lr = 0.1f, .t_max = 90}},
                      0.1);
  check_against_torch("sequential/b",
                      ctnn::sequential_schedule{ctnn::linear_warmup{.base_lr = 0.2f, .start_factor = 0.25f, .total_iters = 5}, 5,
                                                ctnn::exponential_decay{.base_lr = 0.2f, .gamma = 0.97f}},
                      0.2);
  // The milestone cuts the warm-up short: torch jumps to the second schedule's base_lr.
  check_against_torch("sequential/c",
                      ctnn::sequential_schedule{ctnn::linear_warmup{.base_lr = 0.1f, .start_factor = 0.01f, .total_iters = 10},
                                                5, ctnn::step_decay{.base_lr = 0.1f, .step_size = 20, .gamma = 0.5f}},
                      0.1);
}

BOOST_AUTO_TEST_CASE(nested_sequential_is_piecewise) {
  const ctnn::constant_schedule a{.base_lr = 1}, b{.base_lr = 2}, c{.base_lr = 3};
  const ctnn::sequential_schedule three{a, 4, ctnn::sequential_schedule{b, 3, c}};
  for (std::uint64_t t = 0; t < 12; ++t) BOOST_TEST(three(t) == (t < 4 ? 1.0 : t < 7 ? 2.0 : 3.0));
}

// A noexcept lambda is a schedule (PyTorch's LambdaLR) and composes like the others.
BOOST_AUTO_TEST_CASE(lambdas_are_schedules) {
  const auto inverse_time = [](std::uint64_t t) noexcept { return 0.1 / double(t + 1); };
  static_assert(ctnn::learning_rate_schedule<decltype(inverse_time)>);
  const ctnn::sequential_schedule warm{ctnn::linear_warmup{.base_lr = 0.5f, .start_factor = 0.5f, .total_iters = 2}, 2,
                                       inverse_time};
  BOOST_TEST(warm(1) == 0.375);  // halfway from 0.5 * 0.5 to 0.5
  BOOST_TEST(warm(2) == 0.1);
  BOOST_TEST(warm(5) == 0.1 / 4);
  const auto throwing = [](std::uint64_t) { return 0.1; };  // not noexcept: not a schedule
  static_assert(!ctnn::learning_rate_schedule<decltype(throwing)>);
}

BOOST_AUTO_TEST_CASE(reduce_on_plateau_matches_torch) {
  using ctnn::plateau_mode, ctnn::plateau_threshold;
  check_plateau_against_torch("plateau/a", "loss", {.base_lr = 0.1f, .mode = plateau_mode::min, .factor = 0.5f, .patience = 3});
  check_plateau_against_torch("plateau/b", "loss",
                              {.base_lr = 0.1f,
                               .mode = plateau_mode::min,
                               .factor = 0.1f,
                               .patience = 2,
                               .threshold = 0.01f,
                               .threshold_mode = plateau_threshold::abs,
                               .cooldown = 2,
                               .min_lr = 1e-4f});
  check_plateau_against_torch(
      "plateau/c", "accuracy",
      {.base_lr = 0.05f, .mode = plateau_mode::max, .factor = 0.3f, .patience = 1, .threshold = 1e-3f, .cooldown = 1});
  check_plateau_against_torch("plateau/d", "accuracy",
                              {.base_lr = 0.1f,
                               .mode = plateau_mode::max,
                               .factor = 0.5f,
                               .patience = 4,
                               .threshold = 0.005f,
                               .threshold_mode = plateau_threshold::abs,
                               .min_lr = 0.001f});
  check_plateau_against_torch("plateau/e", "loss", {.base_lr = 1e-6f, .mode = plateau_mode::min, .factor = 0.1f, .patience = 0});
}

// The counters behind the sequence, on a case small enough to follow by hand.
BOOST_AUTO_TEST_CASE(reduce_on_plateau_counts_bad_epochs_and_cooldown) {
  ctnn::reduce_on_plateau p{{.base_lr = 1, .factor = 0.5f, .patience = 1, .cooldown = 1}};
  BOOST_TEST(p.best() == std::numeric_limits<double>::infinity());
  BOOST_TEST(p.step(2.0) == 1.0);  // improvement
  BOOST_TEST(p.best() == 2.0);
  BOOST_TEST(p.step(2.0) == 1.0);  // bad epoch 1: within patience
  BOOST_TEST(p.bad_epochs() == 1u);
  BOOST_TEST(p.step(2.0) == 0.5);  // bad epoch 2 > patience: reduce, start cooldown
  BOOST_TEST(p.in_cooldown());
  BOOST_TEST(p.step(2.0) == 0.5);  // cooldown: not counted
  BOOST_TEST(!p.in_cooldown());
  BOOST_TEST(p.bad_epochs() == 0u);
  BOOST_TEST(p.step(std::nan("")) == 0.5);  // NaN is never an improvement
  BOOST_TEST(p.step(2.0) == 0.25);
  BOOST_TEST(p.step(1.0) == 0.25);  // improvement during cooldown
  BOOST_TEST(p.best() == 1.0);
}

namespace {

using tiny_net = ctnn::network<ctnn::input<2>, ctnn::dense<8, ctnn::tanh>, ctnn::dense<1>>;
constexpr std::size_t batch = 4;
using tiny_inputs = std::array<std::array<float, 2>, batch>;
using tiny_targets = std::array<std::array<float, 1>, batch>;

const tiny_inputs inputs{{{0.5f, -1.0f}, {1.5f, 0.25f}, {-0.75f, 0.5f}, {0.0f, 2.0f}}};
const tiny_targets targets{{{1.0f}, {-0.5f}, {0.25f}, {0.75f}}};

}  // namespace

// Each step's parameter change is exactly -lr * gradient for plain SGD, so the learning rate a
// step used can be read back from the network: it must be the schedule's, and a step whose
// scheduled lr is 0 (cosine annealing at t = t_max) must leave every parameter bit-identical.
BOOST_AUTO_TEST_CASE(trainer_uses_the_scheduled_learning_rate) {
  tiny_net net;
  ctnn::initialize(net, ctnn::rng{3});
  ctnn::trainer<tiny_net, ctnn::mean_squared_error, ctnn::sgd, batch> trainer;
  const ctnn::cosine_annealing schedule{.base_lr = 0.1f, .t_max = 4};
  double previous_lr = -1;
  for (int i = 0; i < 8; ++i) {
    const std::uint64_t t = trainer.step_count();
    trainer.options().learning_rate = static_cast<float>(schedule(t));
    const double lr = trainer.options().learning_rate;
    const auto before = parameters_of(net);
    BOOST_REQUIRE(trainer.compute_gradients(net, inputs, targets).ok());
    const auto grads = parameters_of(trainer.gradients());
    BOOST_REQUIRE(trainer.step(net, inputs, targets).ok());
    const auto after = parameters_of(net);
    BOOST_TEST(trainer.step_count() == t + 1);
    BOOST_TEST(lr != previous_lr);  // t_max = 4: the lr changes every step
    previous_lr = lr;
    if (lr == 0) {
      BOOST_TEST(t == 4u);
      for (std::size_t k = 0; k < before.size(); ++k) BOOST_TEST(after[k] == before[k]);
      continue;
    }
    for (std::size_t k = 0; k < before.size(); ++k) {
      const double expected = before[k] - lr * grads[k];
      BOOST_TEST(std::fabs(after[k] - expected) <= 1e-6 * (1 + std::fabs(expected)), "t " << t << " parameter " << k);
    }
  }
}

// Schedules only produce a number: with every optimizer, a scheduled lr of 0 leaves the
// parameters as they are and a positive one moves them.
template <class Optimizer>
void check_zero_lr_freezes(const char* name) {
  tiny_net net;
  ctnn::initialize(net, ctnn::rng{4});
  auto trainer = std::make_unique<ctnn::trainer<tiny_net, ctnn::mean_squared_error, Optimizer, batch>>();
  const ctnn::step_decay schedule{.base_lr = 0.01f, .step_size = 2, .gamma = 0.0f};  // 0.01, 0.01, then 0
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t t = trainer->step_count();
    trainer->options().learning_rate = static_cast<float>(schedule(t));
    const auto before = parameters_of(net);
    BOOST_REQUIRE(trainer->step(net, inputs, targets).ok());
    const bool unchanged = parameters_of(net) == before;
    BOOST_TEST(unchanged == (t >= 2), name << " step " << t << ": lr " << trainer->options().learning_rate);
  }
}

BOOST_AUTO_TEST_CASE(schedules_drive_every_optimizer) {
  check_zero_lr_freezes<ctnn::sgd>("sgd");
  check_zero_lr_freezes<ctnn::plain_sgd>("plain_sgd");
  check_zero_lr_freezes<ctnn::rmsprop>("rmsprop");
  check_zero_lr_freezes<ctnn::adam>("adam");
  check_zero_lr_freezes<ctnn::adamw>("adamw");
}
