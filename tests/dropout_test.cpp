// Dropout: the fraction of zeroed units in training is within a binomial bound of p, kept
// units are scaled by exactly 1 / (1 - p), inference is the identity, one seed gives one
// sequence of masks, a refused or unaccepted step does not move it, and weight files work.
#define BOOST_TEST_MODULE dropout
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include <ctnn/ctnn.hpp>

#include "support/golden.hpp"

using test_support::parameters_of;

namespace {

constexpr std::size_t width = 100, batch = 50;
using probe_net = ctnn::network<ctnn::input<width>, ctnn::dropout<3, 10>>;  // p = 0.3
using probe_trainer = ctnn::trainer<probe_net, ctnn::mean_squared_error, ctnn::plain_sgd, batch>;

/// The mask of the last batch: the input is all ones, so the output is the mask.
std::vector<float> mask_of(probe_trainer& t, probe_net& net) {
  static std::array<std::array<float, width>, batch> ones, zeros;
  for (auto& row : ones) row.fill(1.0f);
  BOOST_REQUIRE(t.compute_gradients(net, ones, zeros).ok());
  const float* y = t.activation<0>();
  std::vector<float> mask;
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t j = 0; j < width; ++j) mask.push_back(y[b * probe_net::layer_type<0>::out_stride + j]);
  return mask;
}

}  // namespace

BOOST_AUTO_TEST_CASE(zeroed_fraction_and_scaling) {
  probe_net net;
  auto t = std::make_unique<probe_trainer>(ctnn::plain_sgd::options{}, ctnn::training_options{.seed = 5});
  const auto mask = mask_of(*t, net);
  std::size_t zeros = 0;
  for (float m : mask) {
    zeros += m == 0.0f;
    BOOST_TEST((m == 0.0f || m == float(1.0 / 0.7)), "a kept unit is scaled by 1/(1-p), got " << m);
  }
  const double n = double(mask.size()), fraction = double(zeros) / n;
  const double sigma = std::sqrt(0.3 * 0.7 / n);
  BOOST_TEST_MESSAGE("zeroed fraction " << fraction << " (p = 0.3, sigma " << sigma << ")");
  BOOST_TEST(std::abs(fraction - 0.3) < 4 * sigma);
}

BOOST_AUTO_TEST_CASE(same_seed_same_masks_and_steps_move_them) {
  probe_net net;
  auto a = std::make_unique<probe_trainer>(ctnn::plain_sgd::options{}, ctnn::training_options{.seed = 9});
  auto b = std::make_unique<probe_trainer>(ctnn::plain_sgd::options{}, ctnn::training_options{.seed = 9});
  auto c = std::make_unique<probe_trainer>(ctnn::plain_sgd::options{}, ctnn::training_options{.seed = 10});
  const auto first = mask_of(*a, net);
  BOOST_TEST(mask_of(*b, net) == first);
  BOOST_TEST(mask_of(*c, net) != first);
  BOOST_TEST(mask_of(*a, net) == first);  // compute_gradients alone does not move the masks
  static std::array<std::array<float, width>, batch> x{}, y{};
  y[0][0] = std::numeric_limits<float>::quiet_NaN();
  BOOST_TEST(!a->step(net, x, y).ok());
  BOOST_TEST(mask_of(*a, net) == first);  // nor does a refused step
  y[0][0] = 0.0f;
  BOOST_REQUIRE(a->step(net, x, y).ok());
  BOOST_TEST(mask_of(*a, net) != first);  // an accepted step does
}

BOOST_AUTO_TEST_CASE(inference_is_the_identity) {
  using with = ctnn::network<ctnn::input<7>, ctnn::dense<17, ctnn::relu>, ctnn::dropout<1, 2>, ctnn::dense<3>>;
  using without = ctnn::network<ctnn::input<7>, ctnn::dense<17, ctnn::relu>, ctnn::dense<3>>;
  with a;
  without b;
  ctnn::initialize(a, ctnn::rng{1});
  test_support::set_parameters(b, parameters_of(a));
  ctnn::rng g{2};
  for (int k = 0; k < 20; ++k) {
    std::array<float, 7> x;
    for (auto& v : x) v = g.uniform(-1.0f, 1.0f);
    BOOST_TEST(a(x) == b(x));
  }
}

BOOST_AUTO_TEST_CASE(training_converges_and_files_round_trip) {
  using net_t = ctnn::network<ctnn::input<2>, ctnn::dense<32, ctnn::tanh>, ctnn::dropout<1, 10>, ctnn::dense<1>>;
  net_t net;
  ctnn::initialize(net, ctnn::rng{3});
  ctnn::trainer<net_t, ctnn::mean_squared_error, ctnn::adam, 4> t{{.learning_rate = 0.02f}, {.seed = 1}};
  const std::array<std::array<float, 2>, 4> x{{{0, 0}, {0, 1}, {1, 0}, {1, 1}}};
  const std::array<std::array<float, 1>, 4> y{{{0}, {1}, {1}, {0}}};
  for (int s = 0; s < 600; ++s) BOOST_REQUIRE(t.step(net, x, y).ok());
  for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(std::abs(net(x[i])[0] - y[i][0]) < 0.25, "xor " << i << ": " << net(x[i])[0]);
  std::vector<std::byte> file(ctnn::weight_file_size<net_t>(true));
  BOOST_REQUIRE(ctnn::save(net, file, std::array<float, 2>{1, 0}).ok());
  net_t loaded;
  const auto s = ctnn::load(loaded, file);
  BOOST_TEST(s.ok(), s.message());
  BOOST_TEST(parameters_of(loaded) == parameters_of(net));
}
