// 1-D regression: learn y = sin(x) on [-pi, pi] with a 1-32-32-1 tanh network, mini-batches
// of 16 drawn from the library's RNG, Adam. Prints the training-loss curve and the error on a
// fine grid at the end.
#include <array>
#include <cmath>
#include <cstdio>

#include <ctnn/ctnn.hpp>

using net_t = ctnn::network<ctnn::input<1>, ctnn::dense<32, ctnn::tanh>, ctnn::dense<32, ctnn::tanh>, ctnn::dense<1>>;
constexpr std::size_t batch = 16;
constexpr float pi = 3.14159265f;

int main() {
  net_t net;
  ctnn::initialize(net, ctnn::rng{7});
  ctnn::trainer<net_t, ctnn::mean_squared_error, ctnn::adam, batch> trainer{{.learning_rate = 3e-3f}};
  ctnn::rng data{8};

  std::array<std::array<float, 1>, batch> x;
  std::array<std::array<float, 1>, batch> y;
  std::printf("step   loss\n");
  double running = 0;
  for (int step = 1; step <= 3000; ++step) {
    for (std::size_t b = 0; b < batch; ++b) {
      x[b][0] = data.uniform(-pi, pi);
      y[b][0] = std::sin(x[b][0]);
    }
    const auto report = trainer.step(net, x, y);
    if (!report.ok()) {
      std::printf("step %d failed: %s\n", step, report.status.message());
      return 1;
    }
    running += report.loss;
    if (step % 250 == 0) {
      std::printf("%5d  %.3e\n", step, running / 250);
      running = 0;
    }
  }
  double max_error = 0;
  for (int i = 0; i <= 200; ++i) {
    const float xi = -pi + 2 * pi * float(i) / 200;
    const double error = std::fabs(net(std::array<float, 1>{xi})[0] - std::sin(xi));
    if (error > max_error || std::isnan(error)) max_error = error;  // a NaN output stays, and fails the check
  }
  std::printf("max |net(x) - sin(x)| on 201 points in [-pi, pi]: %.4f\n", max_error);
  return max_error < 0.05 ? 0 : 1;
}
