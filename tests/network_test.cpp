// The network type: resolution, fusion, static figures, and the forward pass of the reference
// networks S, M, L, W against an independent double-precision evaluation.
#define BOOST_TEST_MODULE network
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <memory>
#include <type_traits>
#include <span>
#include <vector>

#include <ctnn/ctnn.hpp>

#include "support/reference.hpp"
#include "support/reference_networks.hpp"
#include "support/worst.hpp"

namespace {

using namespace reference_networks;

// Fusion: dense followed by an activation layer becomes one dense layer.
using fused = ctnn::network<ctnn::input<3>, ctnn::dense<5>, ctnn::relu, ctnn::dense<2>>;
static_assert(fused::layer_count == 2);
static_assert(std::is_same_v<fused::layer_type<0>::activation, ctnn::relu>);
static_assert(std::is_same_v<fused::layer_type<1>::activation, ctnn::identity>);

// No fusion: activation first, after an already activated dense layer, and softmax.
using unfused = ctnn::network<ctnn::input<3>, ctnn::tanh, ctnn::dense<5, ctnn::relu>, ctnn::sigmoid, ctnn::dense<4>,
                              ctnn::softmax>;
static_assert(unfused::layer_count == 5);
static_assert(std::is_same_v<unfused::layer_type<0>, ctnn::activation_layer<float, 3, ctnn::tanh>>);
static_assert(std::is_same_v<unfused::layer_type<2>, ctnn::activation_layer<float, 5, ctnn::sigmoid>>);
static_assert(std::is_same_v<unfused::layer_type<4>, ctnn::softmax_layer<float, 4>>);

// Static figures.
static_assert(S<>::parameter_count == (4 * 16 + 16) + (16 * 16 + 16) + (16 * 2 + 2));
static_assert(L<>::parameter_count == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
static_assert(S<>::input_size == 4 && S<>::output_size == 2);
static_assert(sizeof(S<>) == S<>::parameter_bytes);
static_assert(S<>::parameter_bytes >= S<>::parameter_count * sizeof(float));
static_assert(W<>::inference_stack_bytes == 2 * 256 * sizeof(float));

template <class Net>
void check_against_reference(std::uint64_t seed, double tol) {
  auto net = std::make_unique<Net>();
  ctnn::initialize(*net, ctnn::rng{seed});
  ctnn::rng g{seed + 1};
  double worst = 0;
  for (int sample = 0; sample < 20; ++sample) {
    std::array<typename Net::value_type, Net::input_size> x;
    std::vector<double> xd(Net::input_size);
    for (std::size_t i = 0; i < x.size(); ++i) xd[i] = x[i] = g.uniform(-1.0f, 1.0f);
    const auto y = (*net)(x);
    const auto want = test_support::reference_forward(*net, xd);
    for (std::size_t o = 0; o < y.size(); ++o) worst = worst_of(worst, std::abs(double(y[o]) - want[o]) / (1 + std::abs(want[o])));
  }
  BOOST_TEST_MESSAGE(ctnn::kernel_backend() << ": max relative error " << worst);
  BOOST_TEST(worst <= tol);
}

}  // namespace

BOOST_AUTO_TEST_CASE(forward_S) { check_against_reference<S<>>(1, 1e-5); }
BOOST_AUTO_TEST_CASE(forward_M) { check_against_reference<M<>>(2, 1e-5); }
BOOST_AUTO_TEST_CASE(forward_L) { check_against_reference<L<>>(3, 1e-5); }
BOOST_AUTO_TEST_CASE(forward_W) { check_against_reference<W<>>(4, 1e-5); }
BOOST_AUTO_TEST_CASE(forward_S_double) { check_against_reference<S<double>>(5, 1e-12); }
BOOST_AUTO_TEST_CASE(forward_W_double) { check_against_reference<W<double>>(6, 1e-12); }
BOOST_AUTO_TEST_CASE(forward_unfused_layers) { check_against_reference<unfused>(7, 1e-5); }
BOOST_AUTO_TEST_CASE(forward_awkward_widths) {
  check_against_reference<ctnn::network<ctnn::input<1>, ctnn::dense<3, ctnn::sigmoid>, ctnn::dense<7, ctnn::leaky_relu<1, 20>>,
                                        ctnn::dense<17>, ctnn::tanh, ctnn::dense<33>, ctnn::dense<1>>>(8, 1e-5);
  check_against_reference<ctnn::network<ctnn::input<127>, ctnn::dense<100, ctnn::relu>, ctnn::dense<15>, ctnn::softmax>>(9, 1e-5);
}

// The padded lanes of every parameter buffer stay zero after initialization: the kernels rely
// on it (a padded output of a dense layer must be act(0)).
BOOST_AUTO_TEST_CASE(padding_is_zero_after_initialize) {
  auto net = std::make_unique<ctnn::network<ctnn::input<5>, ctnn::dense<3, ctnn::tanh, ctnn::init::uniform<1, 2>, ctnn::init::constant<1, 4>>>>();
  ctnn::initialize(*net, ctnn::rng{3});
  const auto& l = net->layer<0>();
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t o = 3; o < l.out_stride; ++o) BOOST_TEST(l.wt()[i * l.out_stride + o] == 0.0f);
  for (std::size_t o = 0; o < 3; ++o) BOOST_TEST(l.bias()[o] == 0.25f);
  for (std::size_t o = 3; o < l.out_stride; ++o) BOOST_TEST(l.bias()[o] == 0.0f);
}

// zip_buffers hands f the buffers only, whatever f accepts (a generic f(auto&&...) once got
// the layer index first); zip_layer_buffers puts the index first.
BOOST_AUTO_TEST_CASE(zip_buffers_passes_spans_only) {
  using net_t = ctnn::network<ctnn::input<3>, ctnn::dense<5, ctnn::relu>, ctnn::batch_norm, ctnn::dense<2>>;
  auto a = std::make_unique<net_t>(), b = std::make_unique<net_t>();
  std::vector<std::size_t> arities, sizes, layers;
  a->zip_buffers([&](auto&&... spans) { arities.push_back(sizeof...(spans)); sizes.push_back((spans.size() + ...)); }, *b);
  a->zip_layer_buffers([&](std::size_t layer, auto&&...) { layers.push_back(layer); }, *b);
  BOOST_TEST(arities == std::vector<std::size_t>(arities.size(), 2), boost::test_tools::per_element());
  BOOST_TEST(arities.size() == layers.size());
  BOOST_TEST(layers.front() == 0u);
  BOOST_TEST(layers.back() == net_t::layer_count - 1);
  std::size_t total = 0;
  for (std::size_t s : sizes) total += s;
  std::size_t expected = 0;
  a->zip_buffers([&](std::span<float> p) { expected += 2 * p.size(); });
  BOOST_TEST(total == expected);
}

// The same seed gives the same parameters; a different seed different ones.
BOOST_AUTO_TEST_CASE(initialization_is_deterministic) {
  auto a = std::make_unique<M<>>(), b = std::make_unique<M<>>(), c = std::make_unique<M<>>();
  ctnn::initialize(*a, ctnn::rng{11});
  ctnn::initialize(*b, ctnn::rng{11});
  ctnn::initialize(*c, ctnn::rng{12});
  std::vector<float> va, vb, vc;
  a->visit_parameters([&](float v) { va.push_back(v); });
  b->visit_parameters([&](float v) { vb.push_back(v); });
  c->visit_parameters([&](float v) { vc.push_back(v); });
  BOOST_TEST(va.size() == M<>::parameter_count);
  BOOST_TEST(va == vb);
  BOOST_TEST(va != vc);
}
