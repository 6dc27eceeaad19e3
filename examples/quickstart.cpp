#include <ctnn/ctnn.hpp>
#include <cmath>
#include <cstdio>

using net_t = ctnn::network<ctnn::input<2>, ctnn::dense<8, ctnn::tanh>, ctnn::dense<1>>;

int main() {
  net_t net;  // the parameters and nothing else, on the stack
  ctnn::initialize(net, ctnn::rng{1});
  ctnn::trainer<net_t, ctnn::mean_squared_error, ctnn::adam, 4> trainer{{.learning_rate = 0.05f}};
  const std::array<std::array<float, 2>, 4> x{{{0, 0}, {0, 1}, {1, 0}, {1, 1}}};
  const std::array<std::array<float, 1>, 4> y{{{0}, {1}, {1}, {0}}};
  for (int step = 0; step < 200; ++step) {
    const auto report = trainer.step(net, x, y);
    if (!report.ok()) {  // a refused step (a non-finite loss, say) leaves net as it was
      std::printf("step %d refused: %s\n", step, report.status.message());
      return 1;
    }
  }
  bool learned = true;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float out = net(x[i])[0];
    std::printf("%g xor %g = %.3f\n", x[i][0], x[i][1], out);
    learned = learned && std::fabs(out - y[i][0]) < 0.1f;
  }
  std::printf("%zu parameters in %zu bytes; inference uses %zu bytes of stack\n", net_t::parameter_count,
              sizeof(net), net_t::inference_stack_bytes);
  return learned ? 0 : 1;
}
