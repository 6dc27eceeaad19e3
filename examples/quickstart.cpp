#include <ctnn/ctnn.hpp>
#include <cstdio>

using net_t = ctnn::network<ctnn::input<2>, ctnn::dense<8, ctnn::tanh>, ctnn::dense<1>>;

int main() {
  net_t net;  // the parameters and nothing else, on the stack
  ctnn::initialize(net, ctnn::rng{1});
  ctnn::trainer<net_t, ctnn::mean_squared_error, ctnn::adam, 4> trainer{{.learning_rate = 0.05f}};
  const std::array<std::array<float, 2>, 4> x{{{0, 0}, {0, 1}, {1, 0}, {1, 1}}};
  const std::array<std::array<float, 1>, 4> y{{{0}, {1}, {1}, {0}}};
  for (int step = 0; step < 200; ++step) (void)trainer.step(net, x, y);
  for (const auto& xi : x) std::printf("%g xor %g = %.3f\n", xi[0], xi[1], net(xi)[0]);
  std::printf("%zu parameters in %zu bytes; inference uses %zu bytes of stack\n", net_t::parameter_count,
              sizeof(net), net_t::inference_stack_bytes);
}
