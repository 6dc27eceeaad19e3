// The init study's qualitative results (examples/init_study) hold: deep sigmoid and poorly
// initialized ReLU networks lose their gradients by orders of magnitude towards the input; He
// initialization keeps a ReLU network's per-layer gradient norms within a small factor; Xavier
// and orthogonal do the same for tanh; batch normalization restores the sigmoid network; at 32
// layers, skip connections keep the gradients that the plain network loses.
#define BOOST_TEST_MODULE init_study
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "../examples/init_study/study.hpp"

using namespace init_study;

namespace {
double first_over_last(const result& r) { return r.gradient_norms.front() / r.gradient_norms.back(); }
double spread(const result& r) {
  const auto [lo, hi] = std::minmax_element(r.gradient_norms.begin(), r.gradient_norms.end());
  return *hi / *lo;
}
}  // namespace

BOOST_AUTO_TEST_CASE(sigmoid_gradients_vanish_without_batch_norm) {
  const auto r = run<ctnn::sigmoid, false, depth>(init_kind::uniform, 0);
  BOOST_TEST_MESSAGE("sigmoid, uniform: first/last = " << first_over_last(r));
  BOOST_TEST(r.gradient_norms.size() == depth + 1);
  BOOST_TEST(first_over_last(r) < 1e-8);
  BOOST_TEST(first_over_last(run<ctnn::sigmoid, false, depth>(init_kind::xavier, 0)) < 1e-8);
}

BOOST_AUTO_TEST_CASE(batch_norm_restores_the_sigmoid_network) {
  const auto r = run<ctnn::sigmoid, true, depth>(init_kind::uniform, 0);
  BOOST_TEST_MESSAGE("sigmoid + batch norm, uniform: first/last = " << first_over_last(r));
  BOOST_TEST(first_over_last(r) > 0.1);
}

BOOST_AUTO_TEST_CASE(relu_needs_he_initialization) {
  const auto uniform = run<ctnn::relu, false, depth>(init_kind::uniform, 0);
  const auto he = run<ctnn::relu, false, depth>(init_kind::he, 0);
  BOOST_TEST_MESSAGE("relu: uniform first/last = " << first_over_last(uniform) << ", He spread = " << spread(he));
  BOOST_TEST(first_over_last(uniform) < 1e-5);
  BOOST_TEST(spread(he) < 10);
}

BOOST_AUTO_TEST_CASE(tanh_keeps_its_gradients_with_xavier_or_orthogonal) {
  const auto xavier = run<ctnn::tanh, false, depth>(init_kind::xavier, 0);
  const auto orthogonal = run<ctnn::tanh, false, depth>(init_kind::orthogonal, 0);
  const auto uniform = run<ctnn::tanh, false, depth>(init_kind::uniform, 0);
  BOOST_TEST_MESSAGE("tanh spread: xavier " << spread(xavier) << ", orthogonal " << spread(orthogonal)
                                            << "; uniform first/last " << first_over_last(uniform));
  BOOST_TEST(spread(xavier) < 10);
  BOOST_TEST(spread(orthogonal) < 10);
  BOOST_TEST(first_over_last(uniform) < 1e-2);
}

// 32 layers, PyTorch's default initialization: the plain network's first layer gets 1e-8
// (tanh) to 1e-20 (sigmoid) of its last layer's gradient; every residual network's first
// block keeps more than 1e-3 of it, and the tanh blocks stay within a factor of 10 of each other.
BOOST_AUTO_TEST_CASE(skip_connections_keep_the_gradients_of_deep_networks) {
  constexpr std::size_t deep = residual_depth;
  auto check = [](const char* name, const result& plain, const result& residual) {
    BOOST_TEST_MESSAGE(name << ": first/last plain " << first_over_last(plain) << ", residual " << first_over_last(residual)
                            << "; residual spread " << spread(residual));
    BOOST_TEST(residual.gradient_norms.size() == deep + 1);
    BOOST_TEST(first_over_last(plain) < 1e-6);
    BOOST_TEST(first_over_last(residual) > 1e-3);
  };
  check("sigmoid", run<ctnn::sigmoid, false, deep>(init_kind::uniform, 0), run_residual<ctnn::sigmoid, deep>(init_kind::uniform, 0));
  check("relu", run<ctnn::relu, false, deep>(init_kind::uniform, 0), run_residual<ctnn::relu, deep>(init_kind::uniform, 0));
  const auto tanh_residual = run_residual<ctnn::tanh, deep>(init_kind::uniform, 0);
  check("tanh", run<ctnn::tanh, false, deep>(init_kind::uniform, 0), tanh_residual);
  BOOST_TEST(spread(tanh_residual) < 10);
}
