// Batch normalization: training-mode forward, backward and running statistics against
// PyTorch (tests/golden/make_batch_norm_golden.py), a 20-step training trajectory and the
// inference output after it, folding into the dense layer, and refused steps.
#define BOOST_TEST_MODULE batch_norm
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <ctnn/ctnn.hpp>

#include "support/golden.hpp"
#include "support/worst.hpp"

using namespace test_support;

namespace {

const golden_file& golden() {
  static const golden_file file(CTNN_TEST_DATA_DIR "/golden/batch_norm.txt");
  return file;
}

template <class T, class BN>
using net_D = ctnn::basic_network<T, ctnn::input<5>, ctnn::dense<7>, BN, ctnn::relu, ctnn::dense<3>>;
using custom_bn = ctnn::basic_batch_norm<1, 1000, 3, 10>;  // eps 1e-3, momentum 0.3
constexpr std::size_t batch = 6;  // rows per golden batch (tests/golden/make_batch_norm_golden.py)

template <class T>
constexpr double output_tol = std::is_same_v<T, double> ? 1e-10 : 1e-5;
template <class T>
constexpr double gradient_tol = std::is_same_v<T, double> ? 1e-10 : 1e-4;

template <class T, class BN>
void check_against_pytorch(const std::string& name) {
  using Net = net_D<T, BN>;
  auto net = std::make_unique<Net>();
  set_parameters(*net, golden()[name + "/init"]);
  // One training-mode forward and backward.
  auto trainer = std::make_unique<ctnn::trainer<Net, ctnn::mean_squared_error, ctnn::sgd, batch>>(
      typename ctnn::sgd::options{.learning_rate = 0.05f, .momentum = 0.9f});
  const auto x = rows<T, 5, batch>(golden()["input"]);
  const auto y = rows<T, 3, batch>(golden()["target"]);
  const auto report = trainer->compute_gradients(*net, x, y);
  BOOST_REQUIRE(report.ok());
  std::vector<double> out;
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t o = 0; o < 3; ++o) out.push_back(double(trainer->template activation<Net::layer_count - 1>()[b * Net::template layer_type<Net::layer_count - 1>::out_stride + o]));
  const double e_out = max_relative_error(out, golden()[name + "/train_output"]);
  const double e_loss = max_relative_error({report.loss}, golden()[name + "/loss"]);
  const double e_grad = max_relative_error(parameters_of(trainer->gradients()), golden()[name + "/grad"]);
  BOOST_TEST_MESSAGE(name << " " << sizeof(T) * 8 << "-bit: training output " << e_out << ", loss " << e_loss
                          << ", gradients " << e_grad);
  BOOST_TEST(e_out <= output_tol<T>);
  BOOST_TEST(e_loss <= gradient_tol<T>);
  BOOST_TEST(e_grad <= gradient_tol<T>);

  // 20 SGD steps: losses, final parameters with running statistics, inference output.
  std::vector<double> losses;
  for (std::size_t step = 0; step < 20; ++step) {
    const std::size_t k = step % 4;
    const auto r = trainer->step(*net, rows<T, 5, batch>(golden()["train/inputs"], batch * k), rows<T, 3, batch>(golden()["train/targets"], batch * k));
    BOOST_REQUIRE(r.ok());
    losses.push_back(r.loss);
  }
  const double e_losses = max_relative_error(losses, golden()[name + "/train/losses"]);
  const double e_state = max_relative_error(parameters_of(*net), golden()[name + "/train/state"]);
  std::vector<double> eval;
  for (const auto& row : x)
    for (T v : (*net)(row)) eval.push_back(double(v));
  const double e_eval = max_relative_error(eval, golden()[name + "/train/eval_output"]);
  BOOST_TEST_MESSAGE(name << " " << sizeof(T) * 8 << "-bit after 20 steps: losses " << e_losses << ", parameters and running statistics "
                          << e_state << ", inference output " << e_eval);
  BOOST_TEST(e_losses <= gradient_tol<T>);
  BOOST_TEST(e_state <= gradient_tol<T>);
  BOOST_TEST(e_eval <= output_tol<T> * 10);
}

}  // namespace

BOOST_AUTO_TEST_CASE(matches_pytorch_double) {
  check_against_pytorch<double, ctnn::batch_norm>("default");
  check_against_pytorch<double, custom_bn>("custom");
}

BOOST_AUTO_TEST_CASE(matches_pytorch_float) {
  check_against_pytorch<float, ctnn::batch_norm>("default");
  check_against_pytorch<float, custom_bn>("custom");
}

// Folding: the folded type is smaller and computes the unfolded network's inference output.
BOOST_AUTO_TEST_CASE(folding_into_dense) {
  using Net = ctnn::network<ctnn::input<10>, ctnn::dense<32>, ctnn::batch_norm, ctnn::relu, ctnn::dense<16>, ctnn::batch_norm,
                            ctnn::tanh, ctnn::dense<8, ctnn::relu>, ctnn::batch_norm, ctnn::dense<4>>;
  using Folded = ctnn::folded_network_t<Net>;
  // The last batch norm follows an activated dense layer: it cannot fold and stays.
  static_assert(std::is_same_v<Folded, ctnn::network<ctnn::input<10>, ctnn::dense<32, ctnn::relu>, ctnn::dense<16, ctnn::tanh>,
                                                     ctnn::dense<8, ctnn::relu>, ctnn::batch_norm, ctnn::dense<4>>>);
  static_assert(Folded::parameter_count == Net::parameter_count - 4 * 32 - 4 * 16);
  static_assert(Folded::layer_count == 5 && Net::layer_count == 9);

  auto net = std::make_unique<Net>();
  ctnn::initialize(*net, ctnn::rng{1});
  // Train a little so that gamma, beta and the running statistics are not their defaults.
  auto trainer = std::make_unique<ctnn::trainer<Net, ctnn::softmax_cross_entropy, ctnn::adam, 16>>(
      ctnn::adam::options{.learning_rate = 0.01f});
  ctnn::rng g{2};
  for (int step = 0; step < 50; ++step) {
    std::array<std::array<float, 10>, 16> x;
    std::array<std::uint32_t, 16> y;
    for (std::size_t b = 0; b < 16; ++b) {
      for (auto& v : x[b]) v = g.uniform(-2.0f, 2.0f) + 1.0f;
      y[b] = x[b][0] > 1.0f ? (x[b][1] > 1.0f ? 3 : 2) : (x[b][2] > 1.0f ? 1 : 0);
    }
    BOOST_REQUIRE(trainer->step(*net, x, y).ok());
  }
  auto folded = std::make_unique<Folded>();
  ctnn::fold_batch_norm(*net, *folded);
  double worst = 0;
  for (int k = 0; k < 200; ++k) {
    std::array<float, 10> x;
    for (auto& v : x) v = g.uniform(-2.0f, 2.0f) + 1.0f;
    const auto a = (*net)(x), b = (*folded)(x);
    for (std::size_t o = 0; o < 4; ++o) worst = worst_of(worst, double(std::abs(a[o] - b[o])) / (1 + std::abs(a[o])));
  }
  BOOST_TEST_MESSAGE("folded vs unfolded: max relative difference " << worst);
  BOOST_TEST(worst <= 1e-5);
}

// Folding the awkward declarations: an identity spec between dense and batch norm (fused by the
// network, so the batch norm folds), and two batch norms in a row (only the first folds; the
// second then follows a plain dense layer in the folded type, and must still be copied).
template <class Net>
double folding_error() {
  using Folded = ctnn::folded_network_t<Net>;
  auto net = std::make_unique<Net>();
  ctnn::initialize(*net, ctnn::rng{3});
  ctnn::rng g{4};
  // Statistics and affine parameters away from their defaults, as training would leave them.
  net->visit_parameters([&](float& p) { p += g.uniform(0.1f, 0.5f); });
  auto folded = std::make_unique<Folded>();
  ctnn::fold_batch_norm(*net, *folded);
  double worst = 0;
  for (int k = 0; k < 50; ++k) {
    std::array<float, Net::input_size> x;
    for (auto& v : x) v = g.uniform(-2.0f, 2.0f);
    const auto a = (*net)(x), b = (*folded)(x);
    for (std::size_t o = 0; o < Net::output_size; ++o)
      worst = worst_of(worst, double(std::abs(a[o] - b[o])) / (1 + std::abs(a[o])));
  }
  return worst;
}

BOOST_AUTO_TEST_CASE(folding_awkward_declarations) {
  using with_identity = ctnn::network<ctnn::input<4>, ctnn::dense<3>, ctnn::identity, ctnn::batch_norm, ctnn::relu, ctnn::dense<2>>;
  static_assert(std::is_same_v<ctnn::folded_network_t<with_identity>,
                               ctnn::network<ctnn::input<4>, ctnn::dense<3, ctnn::relu>, ctnn::dense<2>>>);
  using identity_last = ctnn::network<ctnn::input<4>, ctnn::dense<3>, ctnn::identity, ctnn::batch_norm>;
  static_assert(std::is_same_v<ctnn::folded_network_t<identity_last>, ctnn::network<ctnn::input<4>, ctnn::dense<3>>>);
  using two_norms = ctnn::network<ctnn::input<4>, ctnn::dense<3>, ctnn::batch_norm, ctnn::batch_norm, ctnn::dense<2>>;
  static_assert(std::is_same_v<ctnn::folded_network_t<two_norms>,
                               ctnn::network<ctnn::input<4>, ctnn::dense<3>, ctnn::batch_norm, ctnn::dense<2>>>);
  BOOST_TEST(folding_error<with_identity>() <= 1e-5);
  BOOST_TEST(folding_error<identity_last>() <= 1e-5);
  BOOST_TEST(folding_error<two_norms>() <= 1e-5);
}

// A refused step moves neither the parameters nor the running statistics.
BOOST_AUTO_TEST_CASE(refused_step_keeps_running_statistics) {
  using Net = net_D<float, ctnn::batch_norm>;
  Net net;
  ctnn::initialize(net, ctnn::rng{3});
  ctnn::trainer<Net, ctnn::mean_squared_error, ctnn::adam, batch> trainer;
  auto x = rows<float, 5, batch>(golden()["input"]);
  const auto y = rows<float, 3, batch>(golden()["target"]);
  BOOST_REQUIRE(trainer.step(net, x, y).ok());
  const auto before = parameters_of(net);
  x[2][3] = std::numeric_limits<float>::infinity();
  BOOST_TEST(!trainer.step(net, x, y).ok());
  BOOST_TEST(parameters_of(net) == before);
}
