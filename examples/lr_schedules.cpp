// Learning-rate schedules: a table of a few schedules over 20 epochs, then the sine regression
// of sine_regression.cpp trained with a linear warm-up followed by cosine annealing, per step,
// beside the same training at the constant peak rate (same initial weights, same batches).
// A schedule is a plain value that maps an epoch (or step) index to a learning rate; the
// trainer's optimizer options take it, whatever the optimizer.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include <ctnn/ctnn.hpp>

using net_t = ctnn::network<ctnn::input<1>, ctnn::dense<32, ctnn::tanh>, ctnn::dense<32, ctnn::tanh>, ctnn::dense<1>>;
constexpr std::size_t batch = 16;
constexpr float pi = 3.14159265f;

namespace {

void print_table() {
  const ctnn::step_decay step{.base_lr = 0.1f, .step_size = 5, .gamma = 0.5f};
  const ctnn::exponential_decay exponential{.base_lr = 0.1f, .gamma = 0.85f};
  const ctnn::cosine_annealing cosine{.base_lr = 0.1f, .t_max = 20};
  const ctnn::sequential_schedule warmup_cosine{
      ctnn::linear_warmup{.base_lr = 0.1f, .start_factor = 0.25f, .total_iters = 4}, 4,
      ctnn::cosine_annealing{.base_lr = 0.1f, .t_max = 16, .eta_min = 1e-3f}};
  // The plateau schedule reads a metric: a loss that improves, stalls at epoch 6, then again.
  ctnn::reduce_on_plateau plateau{{.base_lr = 0.1f, .factor = 0.5f, .patience = 2}};
  const std::array<double, 20> loss{1.0, 0.8, 0.65, 0.55, 0.5, 0.48, 0.48, 0.49, 0.48, 0.48,
                                    0.40, 0.35, 0.33, 0.33, 0.34, 0.33, 0.33, 0.30, 0.30, 0.30};
  std::printf("epoch  step_decay  exponential  cosine    warmup+cosine  plateau (loss)\n");
  double plateau_lr = plateau.learning_rate();
  for (std::uint64_t epoch = 0; epoch < 20; ++epoch) {
    std::printf("%5u  %.6f    %.6f     %.6f  %.6f       %.6f (%.2f)\n", unsigned(epoch), step(epoch), exponential(epoch),
                cosine(epoch), warmup_cosine(epoch), plateau_lr, loss[epoch]);
    plateau_lr = plateau.step(loss[epoch]);  // the metric of this epoch sets the next epoch's lr
  }
}

/// Trains the sine regression for `steps` steps with lr = schedule(step); fills the mean loss of
/// every 250 steps and returns the largest error on a grid of [-pi, pi] (negative on failure).
template <ctnn::learning_rate_schedule Schedule>
double train(const Schedule& schedule, std::uint64_t steps, double* curve) {
  net_t net;
  ctnn::initialize(net, ctnn::rng{7});  // same start and same data for every schedule
  ctnn::rng data{8};
  ctnn::trainer<net_t, ctnn::mean_squared_error, ctnn::adam, batch> trainer;
  std::array<std::array<float, 1>, batch> x;
  std::array<std::array<float, 1>, batch> y;
  double running = 0;
  for (std::uint64_t step = 0; step < steps; ++step) {
    trainer.options().learning_rate = static_cast<float>(schedule(trainer.step_count()));
    for (std::size_t b = 0; b < batch; ++b) {
      x[b][0] = data.uniform(-pi, pi);
      y[b][0] = std::sin(x[b][0]);
    }
    const auto report = trainer.step(net, x, y);
    if (!report.ok()) {
      std::printf("step %u failed: %s\n", unsigned(step), report.status.message());
      return -1;
    }
    running += report.loss;
    if ((step + 1) % 250 == 0) {
      *curve++ = running / 250;
      running = 0;
    }
  }
  double max_error = 0;
  for (int i = 0; i <= 200; ++i) {
    const float xi = -pi + 2 * pi * float(i) / 200;
    const double error = std::fabs(net(std::array<float, 1>{xi})[0] - std::sin(xi));
    if (error > max_error || std::isnan(error)) max_error = error;  // a NaN output stays, and fails the check
  }
  return max_error;
}

}  // namespace

int main() {
  print_table();

  // 3000 steps with Adam: 150 of warm-up from 1e-4 to 1e-2, then cosine annealing down to
  // 1e-5; beside it, the peak rate held constant.
  constexpr std::uint64_t steps = 3000, warmup = 150;
  const ctnn::sequential_schedule schedule{
      ctnn::linear_warmup{.base_lr = 1e-2f, .start_factor = 0.01f, .total_iters = warmup}, warmup,
      ctnn::cosine_annealing{.base_lr = 1e-2f, .t_max = steps - warmup, .eta_min = 1e-5f}};
  const ctnn::constant_schedule constant{.base_lr = 1e-2f};
  std::array<double, steps / 250> scheduled_curve{}, constant_curve{};
  const double scheduled_error = train(schedule, steps, scheduled_curve.data());
  const double constant_error = train(constant, steps, constant_curve.data());
  if (scheduled_error < 0 || constant_error < 0) return 1;

  std::printf("\nsine regression (1-32-32-1 tanh, Adam, batch 16): mean loss of each 250 steps\n");
  std::printf(" step  lr (last)   warm-up+cosine  constant 1e-2\n");
  for (std::size_t i = 0; i < scheduled_curve.size(); ++i) {
    const std::uint64_t last = (i + 1) * 250 - 1;
    std::printf("%5u  %.3e  %.3e       %.3e\n", unsigned(last + 1), schedule(last), scheduled_curve[i], constant_curve[i]);
  }
  std::printf("max |net(x) - sin(x)| on 201 points in [-pi, pi]: %.4f (warm-up+cosine), %.4f (constant)\n",
              scheduled_error, constant_error);
  return scheduled_error < 0.05 ? 0 : 1;
}
