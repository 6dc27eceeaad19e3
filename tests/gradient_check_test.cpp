// Back-propagation against central finite differences.
//
// For every layer kind, every activation, every loss and the reference networks, the analytic
// gradient of the mean loss with respect to every parameter (a sample of them for L) is
// compared with (L(p + h) - L(p - h)) / 2h. Relative error |a - n| / max(|a| + |n|, floor):
// at most 1e-6 in double (h = 1e-5), 1e-2 in float (h = 1e-3). The floor keeps the rounding
// noise of the difference quotient (about eps * |L| / h) from dominating for gradients that
// are nearly zero: 1e-4 in double, 1e-2 in float.
#define BOOST_TEST_MODULE gradient_check
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <vector>

#include <ctnn/ctnn.hpp>

#include "support/reference_networks.hpp"

namespace {

template <class T>
struct precision;
template <>
struct precision<double> {
  static constexpr double step = 1e-5, tolerance = 1e-6, floor = 1e-4;
};
template <>
struct precision<float> {
  static constexpr double step = 1e-3, tolerance = 1e-2, floor = 1e-2;
};

/// Checks dL/dp for every parameter (or every `stride`-th) of Net under Loss at batch Batch.
template <class Net, class Loss, std::size_t Batch>
void gradient_check(std::uint64_t seed, std::size_t stride = 1) {
  using T = typename Net::value_type;
  using P = precision<T>;
  using trainer_t = ctnn::trainer<Net, Loss, ctnn::plain_sgd, Batch>;
  auto net = std::make_unique<Net>();
  ctnn::initialize(*net, ctnn::rng{seed});
  // Non-zero biases, so that bias gradients and ReLU kinks are exercised away from zero.
  ctnn::rng g{seed + 100};
  net->visit_parameters([&](T& p) { p += T(0.1) * T(g.uniform(-1.0f, 1.0f)); });

  std::array<std::array<T, Net::input_size>, Batch> x;
  for (auto& row : x)
    for (auto& v : row) v = T(g.uniform(-1.0f, 1.0f));
  std::array<typename trainer_t::target_type, Batch> target{};
  for (auto& t : target) {
    if constexpr (std::is_same_v<Loss, ctnn::softmax_cross_entropy>)
      t = g.below(Net::output_size);
    else if constexpr (std::is_same_v<Loss, ctnn::binary_cross_entropy>)
      for (auto& v : t) v = T(g.uniform());
    else
      for (auto& v : t) v = T(g.uniform(-1.0f, 1.0f));
  }

  auto trainer = std::make_unique<trainer_t>();
  BOOST_REQUIRE(trainer->compute_gradients(*net, x, target).ok());
  std::vector<double> analytic;
  trainer->gradients().visit_parameters([&](T v) { analytic.push_back(double(v)); });

  std::vector<T*> params;
  net->visit_parameters([&](T& p) { params.push_back(&p); });
  BOOST_REQUIRE(params.size() == analytic.size());

  double worst = 0;
  std::size_t worst_index = 0, checked = 0;
  for (std::size_t k = 0; k < params.size(); k += stride) {
    const T saved = *params[k];
    *params[k] = T(double(saved) + P::step);
    const double up = trainer->compute_gradients(*net, x, target).loss;
    *params[k] = T(double(saved) - P::step);
    const double down = trainer->compute_gradients(*net, x, target).loss;
    *params[k] = saved;
    const double numeric = (up - down) / (2 * P::step);
    const double error = std::abs(analytic[k] - numeric) / std::max(std::abs(analytic[k]) + std::abs(numeric), P::floor);
    if (error > worst || std::isnan(error)) worst = error, worst_index = k;  // a NaN stays worst
    ++checked;
  }
  BOOST_TEST_MESSAGE(Loss::name << ", " << sizeof(T) * 8 << "-bit, batch " << Batch << ", " << Net::layer_count
                                << " layers: " << checked << " parameters, worst relative error " << worst
                                << " (parameter " << worst_index << ")");
  BOOST_TEST(worst <= P::tolerance);
}

template <class T, class... Specs>
using net = ctnn::basic_network<T, ctnn::input<5>, Specs...>;

}  // namespace

// Each activation fused into a dense layer, and as a layer of its own.
BOOST_AUTO_TEST_CASE(every_activation_fused_and_unfused) {
  gradient_check<net<double, ctnn::dense<6, ctnn::identity>, ctnn::dense<3>>, ctnn::mean_squared_error, 3>(1);
  gradient_check<net<double, ctnn::dense<6, ctnn::relu>, ctnn::dense<3>>, ctnn::mean_squared_error, 3>(2);
  gradient_check<net<double, ctnn::dense<6, ctnn::leaky_relu<1, 10>>, ctnn::dense<3>>, ctnn::mean_squared_error, 3>(3);
  gradient_check<net<double, ctnn::dense<6, ctnn::sigmoid>, ctnn::dense<3>>, ctnn::mean_squared_error, 3>(4);
  gradient_check<net<double, ctnn::dense<6, ctnn::tanh>, ctnn::dense<3>>, ctnn::mean_squared_error, 3>(5);
  // Activation layers that cannot fuse: first in the network, and after an activated layer.
  gradient_check<net<double, ctnn::tanh, ctnn::dense<6, ctnn::relu>, ctnn::sigmoid, ctnn::dense<3>>,
                 ctnn::mean_squared_error, 3>(6);
  gradient_check<net<double, ctnn::sigmoid, ctnn::dense<6, ctnn::tanh>, ctnn::leaky_relu<1, 5>, ctnn::dense<3>>,
                 ctnn::mean_squared_error, 2>(7);
  gradient_check<net<double, ctnn::relu, ctnn::dense<7>, ctnn::identity, ctnn::dense<2>>, ctnn::mean_squared_error, 2>(8);
}

BOOST_AUTO_TEST_CASE(softmax_layer) {
  gradient_check<net<double, ctnn::dense<7, ctnn::tanh>, ctnn::dense<4>, ctnn::softmax>, ctnn::mean_squared_error, 3>(9);
  gradient_check<net<double, ctnn::dense<4>, ctnn::softmax, ctnn::dense<3>>, ctnn::binary_cross_entropy, 3>(10);
}

BOOST_AUTO_TEST_CASE(every_loss) {
  using n = net<double, ctnn::dense<9, ctnn::tanh>, ctnn::dense<4>>;
  gradient_check<n, ctnn::mean_squared_error, 1>(11);
  gradient_check<n, ctnn::mean_squared_error, 5>(12);
  gradient_check<n, ctnn::softmax_cross_entropy, 1>(13);
  gradient_check<n, ctnn::softmax_cross_entropy, 5>(14);
  gradient_check<n, ctnn::binary_cross_entropy, 1>(15);
  gradient_check<n, ctnn::binary_cross_entropy, 5>(16);
}

BOOST_AUTO_TEST_CASE(awkward_sizes) {
  gradient_check<ctnn::basic_network<double, ctnn::input<1>, ctnn::dense<1>>, ctnn::mean_squared_error, 1>(17);
  gradient_check<ctnn::basic_network<double, ctnn::input<17>, ctnn::dense<33, ctnn::relu>, ctnn::dense<15, ctnn::tanh>,
                                     ctnn::dense<7>>, ctnn::softmax_cross_entropy, 7>(18);
}

BOOST_AUTO_TEST_CASE(reference_networks_double) {
  gradient_check<reference_networks::S<double>, ctnn::mean_squared_error, 4>(19);
  gradient_check<reference_networks::M<double>, ctnn::softmax_cross_entropy, 8>(20);
  gradient_check<reference_networks::L<double>, ctnn::softmax_cross_entropy, 4>(21, 337);
  gradient_check<reference_networks::W<double>, ctnn::mean_squared_error, 2>(22, 1231);
}

BOOST_AUTO_TEST_CASE(reference_networks_float) {
  gradient_check<reference_networks::S<float>, ctnn::mean_squared_error, 4>(23);
  // ReLU kinks: in float, h is large enough for a perturbation to cross one; batch 2 keeps
  // the number of units near a kink small.
  gradient_check<reference_networks::M<float>, ctnn::softmax_cross_entropy, 2>(24, 7);
}

// Through the batch statistics of batch normalization (training mode), at several batches.
BOOST_AUTO_TEST_CASE(batch_norm_training_mode) {
  gradient_check<net<double, ctnn::dense<6>, ctnn::batch_norm, ctnn::relu, ctnn::dense<3>>, ctnn::mean_squared_error, 4>(25);
  gradient_check<net<double, ctnn::dense<9>, ctnn::basic_batch_norm<1, 1000, 3, 10>, ctnn::tanh, ctnn::dense<4>>,
                 ctnn::softmax_cross_entropy, 2>(26);
  gradient_check<net<double, ctnn::batch_norm, ctnn::dense<7, ctnn::sigmoid>, ctnn::batch_norm, ctnn::dense<2>>,
                 ctnn::binary_cross_entropy, 5>(27);
}

// Through dropout with the batch's mask fixed (compute_gradients does not move the generator).
BOOST_AUTO_TEST_CASE(dropout_fixed_mask) {
  gradient_check<net<double, ctnn::dense<9, ctnn::tanh>, ctnn::dropout<1, 3>, ctnn::dense<4>>, ctnn::mean_squared_error, 3>(28);
  gradient_check<net<double, ctnn::dense<8>, ctnn::batch_norm, ctnn::relu, ctnn::dropout<1, 2>, ctnn::dense<3>>,
                 ctnn::softmax_cross_entropy, 4>(29);
}

// Through skip connections: plain, with a projection, nested, first in the network, and with
// batch norm and dropout (fixed mask) inside a block. The layers before each block see the
// gradient through the block's input: the skip path's and the sub-chain's summed.
BOOST_AUTO_TEST_CASE(residual_blocks) {
  gradient_check<net<double, ctnn::dense<6, ctnn::tanh>, ctnn::residual<ctnn::dense<6, ctnn::relu>, ctnn::dense<6>>,
                     ctnn::dense<3>>, ctnn::mean_squared_error, 3>(30);
  gradient_check<net<double, ctnn::dense<7, ctnn::tanh>, ctnn::projected_residual<ctnn::dense<4, ctnn::sigmoid>>,
                     ctnn::dense<3>>, ctnn::softmax_cross_entropy, 4>(31);
  gradient_check<net<double, ctnn::residual<ctnn::dense<5, ctnn::tanh>, ctnn::residual<ctnn::dense<5, ctnn::tanh>>>,
                     ctnn::dense<2>>, ctnn::mean_squared_error, 2>(32);
  gradient_check<net<double, ctnn::dense<9>,
                     ctnn::projected_residual<ctnn::dense<6, ctnn::tanh>,
                                              ctnn::projected_residual<ctnn::dense<3, ctnn::tanh>, ctnn::dense<4>>,
                                              ctnn::residual<ctnn::dense<4, ctnn::leaky_relu<1, 10>>>>,
                     ctnn::tanh, ctnn::dense<3>>, ctnn::binary_cross_entropy, 3>(33);
  gradient_check<net<double, ctnn::dense<8, ctnn::tanh>,
                     ctnn::residual<ctnn::dense<8>, ctnn::batch_norm, ctnn::relu, ctnn::dropout<1, 4>, ctnn::dense<8>>,
                     ctnn::dense<3>>, ctnn::mean_squared_error, 5>(34);
}
