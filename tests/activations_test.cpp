// Accuracy of the vectorized activations against double-precision <cmath>, and the scalar
// definitions' derivatives against finite differences.
//
// Stated bound (README, "Accuracy"): |tanh - std::tanh(double)| and |sigmoid - 1/(1+e^-x)|
// at most 5e-7 for every float x in [-20, 20] on a grid of 2^22 + 1 points.
#define BOOST_TEST_MODULE activations
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include <ctnn/ctnn.hpp>

#include "support/aligned.hpp"
#include "support/worst.hpp"

namespace {

template <class Act>
double max_error(double (*reference)(double)) {
  constexpr std::size_t count = (std::size_t{1} << 22) + 16;   // a whole number of vectors
  test_support::aligned_array<float> x(count), y(count);
  for (std::size_t i = 0; i < count; ++i) x[i] = float(-20.0 + 40.0 * double(i) / double(count - 16));
  for (std::size_t i = 0; i < count; ++i) x[i] = std::clamp(x[i], -20.0f, 20.0f);
  ctnn::kernels::active::activation_forward<Act, count>(x.data(), y.data());
  double worst = 0;
  for (std::size_t i = 0; i < count; ++i) worst = worst_of(worst, std::abs(double(y[i]) - reference(double(x[i]))));
  return worst;
}

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double tanh_ref(double x) { return std::tanh(x); }

}  // namespace

BOOST_AUTO_TEST_CASE(tanh_within_5e_7) {
  const double e = max_error<ctnn::tanh>(tanh_ref);
  BOOST_TEST_MESSAGE(ctnn::kernel_backend() << " tanh max abs error " << e);
  BOOST_TEST(e <= 5e-7);
}

BOOST_AUTO_TEST_CASE(sigmoid_within_5e_7) {
  const double e = max_error<ctnn::sigmoid>(sigmoid_ref);
  BOOST_TEST_MESSAGE(ctnn::kernel_backend() << " sigmoid max abs error " << e);
  BOOST_TEST(e <= 5e-7);
}

BOOST_AUTO_TEST_CASE(relu_and_leaky_relu_exact) {
  alignas(64) float x[64], y[64];
  for (int i = 0; i < 64; ++i) x[i] = float(i - 32) * 0.25f;
  ctnn::kernels::active::activation_forward<ctnn::relu, 64>(x, y);
  for (int i = 0; i < 64; ++i) BOOST_TEST(y[i] == (x[i] > 0 ? x[i] : 0.0f));
  ctnn::kernels::active::activation_forward<ctnn::leaky_relu<1, 8>, 64>(x, y);
  for (int i = 0; i < 64; ++i) BOOST_TEST(y[i] == (x[i] > 0 ? x[i] : 0.125f * x[i]));
}

// derivative_from_output(f(x)) equals the central difference of f at x.
template <class Act>
void check_derivative() {
  for (double x = -3.1; x < 3.1; x += 0.37) {
    const double h = 1e-6;
    const double numeric = (Act::apply(x + h) - Act::apply(x - h)) / (2 * h);
    BOOST_TEST(std::abs(Act::derivative_from_output(Act::apply(x)) - numeric) < 1e-8, Act::name << " at " << x);
  }
}

BOOST_AUTO_TEST_CASE(derivatives_from_output) {
  check_derivative<ctnn::identity>();
  check_derivative<ctnn::relu>();
  check_derivative<ctnn::leaky_relu<1, 5>>();
  check_derivative<ctnn::sigmoid>();
  check_derivative<ctnn::tanh>();
}

// A NaN goes in, a NaN comes out: the trainer refuses non-finite steps by looking at the loss.
BOOST_AUTO_TEST_CASE(nan_propagates) {
  alignas(64) float x[64], y[64];
  for (int i = 0; i < 64; ++i) x[i] = i % 3 == 0 ? std::numeric_limits<float>::quiet_NaN() : float(i) * 0.5f - 16;
  ctnn::kernels::active::activation_forward<ctnn::tanh, 64>(x, y);
  for (int i = 0; i < 64; ++i) BOOST_TEST(std::isnan(y[i]) == std::isnan(x[i]), "tanh at " << i);
  ctnn::kernels::active::activation_forward<ctnn::sigmoid, 64>(x, y);
  for (int i = 0; i < 64; ++i) BOOST_TEST(std::isnan(y[i]) == std::isnan(x[i]), "sigmoid at " << i);
  // relu too (max(NaN, 0) gave 0: a NaN input or weight looked like a dead unit), in the kernel,
  // the scalar formula and a whole network; leaky_relu.
  ctnn::kernels::active::activation_forward<ctnn::relu, 64>(x, y);
  for (int i = 0; i < 64; ++i) BOOST_TEST(std::isnan(y[i]) == std::isnan(x[i]), "relu at " << i);
  ctnn::kernels::active::activation_forward<ctnn::leaky_relu<>, 64>(x, y);
  for (int i = 0; i < 64; ++i) BOOST_TEST(std::isnan(y[i]) == std::isnan(x[i]), "leaky_relu at " << i);
  BOOST_TEST(std::isnan(ctnn::relu::apply(std::numeric_limits<double>::quiet_NaN())));
  ctnn::network<ctnn::input<4>, ctnn::dense<16, ctnn::relu>, ctnn::dense<2>> net;
  ctnn::initialize(net, ctnn::rng{1});
  const auto out = net(std::array<float, 4>{std::numeric_limits<float>::quiet_NaN(), 0.5f, 0.25f, -1.0f});
  BOOST_TEST((std::isnan(out[0]) && std::isnan(out[1])));
}

// Past the rational approximation's range (tanh answers |x| >= 7.9053 with a select, and its
// polynomial overflows for large x), up to infinity: +-1, sigmoid 0 and 1, never a NaN.
BOOST_AUTO_TEST_CASE(saturates_up_to_infinity) {
  constexpr float magnitudes[] = {7.9053f, 8.0f, 20.5f, 1e5f, 1e9f, 1e20f, std::numeric_limits<float>::max(),
                                  std::numeric_limits<float>::infinity()};
  alignas(64) float x[64], y[64];
  for (int i = 0; i < 64; ++i) x[i] = (i % 2 ? -1.0f : 1.0f) * magnitudes[(i / 2) % 8];
  ctnn::kernels::active::activation_forward<ctnn::tanh, 64>(x, y);
  for (int i = 0; i < 64; ++i)
    BOOST_TEST(std::abs(double(y[i]) - (x[i] > 0 ? 1.0 : -1.0)) <= 5e-7, "tanh(" << x[i] << ") = " << y[i]);
  ctnn::kernels::active::activation_forward<ctnn::sigmoid, 64>(x, y);
  for (int i = 0; i < 64; ++i)
    if (std::abs(x[i]) >= 20)
      BOOST_TEST(std::abs(double(y[i]) - (x[i] > 0 ? 1.0 : 0.0)) <= 5e-7, "sigmoid(" << x[i] << ") = " << y[i]);
}
