// Gradient health figures against values computed by hand (plain double arithmetic in this
// file) on a tiny network with one dead ReLU unit and one saturated tanh output.
#define BOOST_TEST_MODULE health
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>

#include <ctnn/ctnn.hpp>

#include "support/alloc_counter.hpp"

using net_t = ctnn::network<ctnn::input<2>, ctnn::dense<3, ctnn::relu>, ctnn::dense<2, ctnn::tanh>>;

BOOST_AUTO_TEST_CASE(tiny_network_by_hand) {
  const double W0[3][2] = {{1, 0}, {0, 1}, {-1, -1}}, b0[3] = {0, 0, -1};
  const double W1[2][3] = {{3, 2, 1}, {0.1, -0.1, 0.5}}, b1[2] = {0, 0};
  const double X[2][2] = {{1, 2}, {2, 0.5}}, Y[2][2] = {{0, 0}, {1, 1}};
  net_t net;
  for (int o = 0; o < 3; ++o) {
    for (int i = 0; i < 2; ++i) net.layer<0>().weight(o, i) = float(W0[o][i]);
    net.layer<0>().bias()[o] = float(b0[o]);
  }
  for (int o = 0; o < 2; ++o) {
    for (int i = 0; i < 3; ++i) net.layer<1>().weight(o, i) = float(W1[o][i]);
    net.layer<1>().bias()[o] = float(b1[o]);
  }

  // By hand: forward, MSE (mean over 4 values), backward, SGD with lr 0.1.
  double h[2][3], out[2][2], g0 = 0, g1 = 0, w0 = 0, w1 = 0, u0 = 0, u1 = 0;
  double dW1[2][3] = {}, db1[2] = {}, dW0[3][2] = {}, db0[3] = {};
  for (int b = 0; b < 2; ++b) {
    for (int j = 0; j < 3; ++j) h[b][j] = std::max(0.0, W0[j][0] * X[b][0] + W0[j][1] * X[b][1] + b0[j]);
    for (int k = 0; k < 2; ++k) out[b][k] = std::tanh(W1[k][0] * h[b][0] + W1[k][1] * h[b][1] + W1[k][2] * h[b][2] + b1[k]);
    double dz1[2], dh[3] = {};
    for (int k = 0; k < 2; ++k) {
      dz1[k] = 2 * (out[b][k] - Y[b][k]) / 4 * (1 - out[b][k] * out[b][k]);
      db1[k] += dz1[k];
      for (int j = 0; j < 3; ++j) dW1[k][j] += dz1[k] * h[b][j], dh[j] += dz1[k] * W1[k][j];
    }
    for (int j = 0; j < 3; ++j) {
      const double dz0 = h[b][j] > 0 ? dh[j] : 0;
      db0[j] += dz0;
      for (int i = 0; i < 2; ++i) dW0[j][i] += dz0 * X[b][i];
    }
  }
  const double lr = 0.1;
  for (int j = 0; j < 3; ++j) {
    for (int i = 0; i < 2; ++i) {
      g0 += dW0[j][i] * dW0[j][i];
      const double w = W0[j][i] - lr * dW0[j][i];
      w0 += w * w, u0 += lr * dW0[j][i] * lr * dW0[j][i];
    }
    g0 += db0[j] * db0[j];
    const double b = b0[j] - lr * db0[j];
    w0 += b * b, u0 += lr * db0[j] * lr * db0[j];
  }
  for (int k = 0; k < 2; ++k) {
    for (int j = 0; j < 3; ++j) {
      g1 += dW1[k][j] * dW1[k][j];
      const double w = W1[k][j] - lr * dW1[k][j];
      w1 += w * w, u1 += lr * dW1[k][j] * lr * dW1[k][j];
    }
    g1 += db1[k] * db1[k];
    const double b = b1[k] - lr * db1[k];
    w1 += b * b, u1 += lr * db1[k] * lr * db1[k];
  }

  ctnn::trainer<net_t, ctnn::mean_squared_error, ctnn::plain_sgd, 2> trainer{{.learning_rate = 0.1f}};
  const std::array<std::array<float, 2>, 2> x{{{1, 2}, {2, 0.5f}}}, y{{{0, 0}, {1, 1}}};
  BOOST_REQUIRE(trainer.step(net, x, y).ok());
  const auto report = ctnn::gradient_health(trainer, net);

  const auto close = [](double a, double b) { return std::abs(a - b) <= 1e-5 * (1 + std::abs(b)); };
  BOOST_TEST(report.layers[0].name == std::string("dense"));
  BOOST_TEST(report.layers[0].activation == std::string("relu"));
  BOOST_TEST(report.layers[0].parameters == 9u);
  BOOST_TEST(close(report.layers[0].gradient_norm, std::sqrt(g0)), report.layers[0].gradient_norm << " vs " << std::sqrt(g0));
  BOOST_TEST(close(report.layers[1].gradient_norm, std::sqrt(g1)), report.layers[1].gradient_norm << " vs " << std::sqrt(g1));
  BOOST_TEST(close(report.layers[0].weight_norm, std::sqrt(w0)));
  BOOST_TEST(close(report.layers[1].weight_norm, std::sqrt(w1)));
  BOOST_TEST(close(report.layers[0].update_ratio, std::sqrt(u0) / std::sqrt(w0)));
  BOOST_TEST(close(report.layers[1].update_ratio, std::sqrt(u1) / std::sqrt(w1)));
  BOOST_TEST(close(report.total_gradient_norm, std::sqrt(g0 + g1)));
  // Unit 2 of the ReLU layer is negative for both samples: one dead unit of three.
  BOOST_TEST(report.layers[0].dead_fraction == 1.0 / 3);
  BOOST_TEST(report.layers[0].saturated_fraction == 0.0);
  // tanh output 0 is at tanh(7) = 0.9999983 for both samples: 2 of 4 outputs saturated.
  BOOST_TEST(report.layers[1].saturated_fraction == 0.5);
  BOOST_TEST(report.layers[1].dead_fraction == 0.0);
}

BOOST_AUTO_TEST_CASE(health_report_allocates_nothing_and_covers_every_layer) {
  using deep = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::batch_norm, ctnn::sigmoid, ctnn::dense<3>, ctnn::softmax>;
  deep net;
  ctnn::initialize(net, ctnn::rng{1});
  ctnn::trainer<deep, ctnn::mean_squared_error, ctnn::adam, 4> trainer;
  std::array<std::array<float, 4>, 4> x{};
  std::array<std::array<float, 3>, 4> y{};
  for (std::size_t b = 0; b < 4; ++b) x[b][b] = 1, y[b][b % 3] = 1;
  BOOST_REQUIRE(trainer.step(net, x, y).ok());
  const long before = test_support::allocations.load();
  const auto report = ctnn::gradient_health(trainer, net);
  BOOST_TEST(test_support::allocations.load() - before == 0);
  BOOST_TEST(report.layers.size() == 5u);
  BOOST_TEST(report.layers[1].name == std::string("batch_norm"));
  BOOST_TEST(report.layers[1].gradient_norm > 0);
  BOOST_TEST(report.layers[2].name == std::string("sigmoid"));
  BOOST_TEST(report.layers[2].parameters == 0u);
  BOOST_TEST(report.layers[4].name == std::string("softmax"));
}
