// XOR: the smallest problem a linear model cannot solve. A 2-8-1 tanh network learns it with
// Adam from a fixed seed; the loss curve is printed every 25 steps.
#include <array>
#include <cstdio>

#include <ctnn/ctnn.hpp>

using net_t = ctnn::network<ctnn::input<2>, ctnn::dense<8, ctnn::tanh>, ctnn::dense<1>>;

int main() {
  net_t net;
  ctnn::initialize(net, ctnn::rng{1});
  ctnn::trainer<net_t, ctnn::mean_squared_error, ctnn::adam, 4> trainer{{.learning_rate = 0.05f}};

  const std::array<std::array<float, 2>, 4> x{{{0, 0}, {0, 1}, {1, 0}, {1, 1}}};
  const std::array<std::array<float, 1>, 4> y{{{0}, {1}, {1}, {0}}};

  std::printf("step  loss\n");
  for (int step = 0; step <= 300; ++step) {
    const auto report = trainer.step(net, x, y);
    if (!report.ok()) {
      std::printf("step %d failed: %s\n", step, report.status.message());
      return 1;
    }
    if (step % 25 == 0) std::printf("%4d  %.3e\n", step, report.loss);
  }
  int correct = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float out = net(x[i])[0];
    correct += (out > 0.5f) == (y[i][0] > 0.5f);
    std::printf("%g xor %g -> %.4f\n", x[i][0], x[i][1], out);
  }
  std::printf("%d/4 correct; parameters %zu (%zu bytes), trainer %zu bytes\n", correct, net_t::parameter_count,
              sizeof(net), sizeof(trainer));
  return correct == 4 ? 0 : 1;
}
