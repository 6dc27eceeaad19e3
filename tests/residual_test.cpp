// Residual blocks: forward and gradients against PyTorch (tests/golden/make_residual_golden.py)
// and a 30-step Adam trajectory, inference against an independent double reference, state
// kept inside blocks (batch norm statistics, dropout streams), weight files and topology hashes.
// The finite-difference checks through blocks are in gradient_check_test.cpp.
#define BOOST_TEST_MODULE residual
#include <boost/test/unit_test.hpp>

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
  static const golden_file file(CTNN_TEST_DATA_DIR "/golden/residual.txt");
  return file;
}

// The network of make_residual_golden.py.
template <class T>
using golden_net =
    ctnn::basic_network<T, ctnn::input<5>, ctnn::dense<8, ctnn::tanh>, ctnn::residual<ctnn::dense<8, ctnn::relu>, ctnn::dense<8>>,
                        ctnn::relu,
                        ctnn::projected_residual<ctnn::dense<6, ctnn::tanh>,
                                                 ctnn::residual<ctnn::dense<6, ctnn::sigmoid>, ctnn::dense<6>>>,
                        ctnn::dense<3>>;

template <class T>
constexpr double tolerance = std::is_same_v<T, double> ? 1e-12 : 2e-5;

template <class T>
void check_against_pytorch() {
  using Net = golden_net<T>;
  static_assert(Net::parameter_count == 405);
  auto net = std::make_unique<Net>();
  set_parameters(*net, golden()["init"]);
  const auto x = rows<T, 5, 4>(golden()["input"]);
  const auto y = rows<T, 3, 4>(golden()["target"]);

  std::vector<double> out;
  for (const auto& row : x)
    for (T v : (*net)(row)) out.push_back(double(v));
  const double e_out = max_relative_error(out, golden()["output"]);

  using trainer_t = ctnn::trainer<Net, ctnn::mean_squared_error, ctnn::adam, 4>;
  auto trainer = std::make_unique<trainer_t>(ctnn::adam::options{.learning_rate = 0.01f});
  const auto report = trainer->compute_gradients(*net, x, y);
  BOOST_REQUIRE(report.ok());
  std::vector<double> train_out;
  constexpr std::size_t last = Net::layer_count - 1;
  for (std::size_t b = 0; b < 4; ++b)
    for (std::size_t o = 0; o < 3; ++o)
      train_out.push_back(double(trainer->template activation<last>()[b * Net::template layer_type<last>::out_stride + o]));
  const double e_train_out = max_relative_error(train_out, golden()["output"]);
  const double e_loss = max_relative_error({report.loss}, golden()["loss"]);
  const double e_grad = max_relative_error(parameters_of(trainer->gradients()), golden()["grad"]);
  BOOST_TEST_MESSAGE(sizeof(T) * 8 << "-bit: inference " << e_out << ", training forward " << e_train_out << ", loss "
                                   << e_loss << ", gradients " << e_grad);
  BOOST_TEST(e_out <= tolerance<T>);
  BOOST_TEST(e_train_out <= tolerance<T>);
  BOOST_TEST(e_loss <= tolerance<T>);
  BOOST_TEST(e_grad <= tolerance<T>);

  std::vector<double> losses;
  for (std::size_t step = 0; step < 30; ++step) {
    const std::size_t k = step % 4;
    const auto r = trainer->step(*net, rows<T, 5, 4>(golden()["train/inputs"], 4 * k),
                                 rows<T, 3, 4>(golden()["train/targets"], 4 * k));
    BOOST_REQUIRE(r.ok());
    losses.push_back(r.loss);
  }
  const double e_losses = max_relative_error(losses, golden()["train/losses"]);
  const double e_params = max_relative_error(parameters_of(*net), golden()["train/params"]);
  BOOST_TEST_MESSAGE(sizeof(T) * 8 << "-bit, 30 Adam steps: losses " << e_losses << ", parameters " << e_params);
  BOOST_TEST(e_losses <= 10 * tolerance<T>);
  BOOST_TEST(e_params <= 10 * tolerance<T>);
}

}  // namespace

BOOST_AUTO_TEST_CASE(forward_gradients_and_adam_match_pytorch_double) { check_against_pytorch<double>(); }
BOOST_AUTO_TEST_CASE(forward_gradients_and_adam_match_pytorch_float) { check_against_pytorch<float>(); }

// The shape a block gives a network: parameters, buffers, widths, stack.
BOOST_AUTO_TEST_CASE(block_shape) {
  using block = ctnn::residual_layer<float, 16, false, ctnn::dense<32, ctnn::relu>, ctnn::dense<16>>;
  static_assert(block::in_size == 16 && block::out_size == 16);
  static_assert(block::parameter_count == 16 * 32 + 32 + 32 * 16 + 16);
  static_assert(block::buffer_count == 2);
  using projected = ctnn::residual_layer<float, 16, true, ctnn::dense<8, ctnn::relu>>;
  static_assert(projected::out_size == 8 && projected::parameter_count == 2 * (16 * 8 + 8) && projected::buffer_count == 2);
  using net_t = ctnn::network<ctnn::input<16>, ctnn::residual<ctnn::dense<32, ctnn::relu>, ctnn::dense<16>>, ctnn::dense<4>>;
  static_assert(net_t::layer_count == 2 && net_t::parameter_count == block::parameter_count + 16 * 4 + 4);
  static_assert(net_t::inference_stack_bytes > 2 * net_t::max_stride * sizeof(float));

  // Every trainable buffer is reachable through buffer(k), in canonical order.
  block b;
  float v = 0;
  block::visit_parameters(b, [&](float& p) { p = v++; });
  BOOST_TEST(b.buffer(0).data() == b.body.layer<0>().wt().data());
  BOOST_TEST(b.buffer(1).data() == b.body.layer<1>().wt().data());
  BOOST_TEST(b.buffer(1).size() == b.body.layer<1>().parameters.size());
  projected p;
  BOOST_TEST(p.buffer(1).data() == p.projection.wt().data());
}

// Blocks change the topology hash: a weight file for one is refused by the others.
BOOST_AUTO_TEST_CASE(topology_hash_tells_blocks_apart) {
  using plain = ctnn::network<ctnn::input<6>, ctnn::dense<6, ctnn::tanh>, ctnn::dense<6>, ctnn::dense<2>>;
  using with_block = ctnn::network<ctnn::input<6>, ctnn::residual<ctnn::dense<6, ctnn::tanh>, ctnn::dense<6>>, ctnn::dense<2>>;
  using with_projection =
      ctnn::network<ctnn::input<6>, ctnn::projected_residual<ctnn::dense<6, ctnn::tanh>, ctnn::dense<6>>, ctnn::dense<2>>;
  using nested = ctnn::network<ctnn::input<6>, ctnn::residual<ctnn::dense<6, ctnn::tanh>, ctnn::residual<ctnn::dense<6>>>,
                               ctnn::dense<2>>;
  using split = ctnn::network<ctnn::input<6>, ctnn::residual<ctnn::dense<6, ctnn::tanh>>, ctnn::residual<ctnn::dense<6>>,
                              ctnn::dense<2>>;
  constexpr std::uint64_t h[] = {ctnn::topology_hash<plain>(), ctnn::topology_hash<with_block>(),
                                 ctnn::topology_hash<with_projection>(), ctnn::topology_hash<nested>(),
                                 ctnn::topology_hash<split>()};
  for (std::size_t i = 0; i < std::size(h); ++i)
    for (std::size_t j = i + 1; j < std::size(h); ++j) BOOST_TEST(h[i] != h[j]);
}

// A weight file round-trips, and its test vector is evaluated through nested blocks.
BOOST_AUTO_TEST_CASE(weight_file_round_trip) {
  using Net = golden_net<float>;
  auto net = std::make_unique<Net>();
  set_parameters(*net, golden()["init"]);
  std::array<float, 5> x{0.3f, -0.2f, 0.9f, 0.1f, -0.7f};
  std::vector<std::byte> file(ctnn::weight_file_size<Net>(true));
  auto saved = ctnn::save(*net, std::span<std::byte>(file), x);
  BOOST_REQUIRE_MESSAGE(saved.ok(), saved.message());
  auto loaded = std::make_unique<Net>();
  const auto status = ctnn::load(*loaded, std::span<const std::byte>(file));
  BOOST_REQUIRE_MESSAGE(status.ok(), status.message());
  BOOST_TEST(parameters_of(*loaded) == parameters_of(*net));

  // A file for the same widths without the skip connection is refused, and loses nothing.
  using plain = ctnn::network<ctnn::input<5>, ctnn::dense<8, ctnn::tanh>, ctnn::dense<8, ctnn::relu>, ctnn::dense<8>, ctnn::relu,
                              ctnn::dense<6, ctnn::tanh>, ctnn::dense<6, ctnn::sigmoid>, ctnn::dense<6>, ctnn::dense<8>,
                              ctnn::dense<3>>;
  auto other = std::make_unique<plain>();
  const auto before = parameters_of(*other);
  BOOST_TEST(!ctnn::load(*other, std::span<const std::byte>(file)).ok());
  BOOST_TEST(parameters_of(*other) == before);
}

// Batch norm inside a block: training uses batch statistics, the accepted step commits the
// running statistics (a refused one does not), inference uses them.
BOOST_AUTO_TEST_CASE(batch_norm_inside_a_block) {
  using Net = ctnn::network<ctnn::input<4>, ctnn::dense<6, ctnn::tanh>,
                            ctnn::residual<ctnn::dense<6>, ctnn::batch_norm, ctnn::relu, ctnn::dense<6>>, ctnn::dense<2>>;
  Net net;
  ctnn::initialize(net, ctnn::rng{5});
  ctnn::trainer<Net, ctnn::mean_squared_error, ctnn::sgd, 8> trainer{{.learning_rate = 0.01f}};
  std::array<std::array<float, 4>, 8> x{};
  std::array<std::array<float, 2>, 8> y{};
  ctnn::rng g{6};
  for (auto& r : x)
    for (auto& v : r) v = g.uniform(-1, 1);
  const auto& bn = net.layer<1>().body.layer<1>();
  BOOST_TEST(bn.running_mean[0] == 0.0f);
  auto bad = y;
  bad[3][1] = std::nanf("");
  BOOST_TEST(!trainer.step(net, x, bad).ok());
  BOOST_TEST(bn.running_mean[0] == 0.0f);
  BOOST_TEST(bn.running_var[0] == 1.0f);
  BOOST_REQUIRE(trainer.step(net, x, y).ok());
  BOOST_TEST(bn.running_mean[0] != 0.0f);
  BOOST_TEST(bn.running_var[0] != 1.0f);
}

// Dropout inside blocks draws from its own stream: two dropout layers at the same position in
// two blocks, and a top-level one, get different masks; the same seed gives the same masks.
BOOST_AUTO_TEST_CASE(dropout_streams_inside_blocks) {
  using block = ctnn::residual<ctnn::dropout<1, 2>>;
  using Net = ctnn::network<ctnn::input<64>, ctnn::dropout<1, 2>, block, block>;
  Net net;
  using trainer_t = ctnn::trainer<Net, ctnn::mean_squared_error, ctnn::plain_sgd, 1>;
  auto run = [&](std::uint64_t seed) {
    trainer_t trainer{{.learning_rate = 0.1f}, {.seed = seed}};
    std::array<std::array<float, 64>, 1> x{};
    x[0].fill(1.0f);
    std::array<std::array<float, 64>, 1> y{};
    BOOST_REQUIRE(trainer.compute_gradients(net, x, y).ok());
    // Layer 0: the mask itself; layers 1, 2: mask + input.
    std::array<std::vector<float>, 3> out;
    for (std::size_t j = 0; j < 64; ++j) {
      out[0].push_back(trainer.template activation<0>()[j]);
      out[1].push_back(trainer.template activation<1>()[j] - out[0][j]);
      out[2].push_back(trainer.template activation<2>()[j] - trainer.template activation<1>()[j]);
    }
    return out;
  };
  const auto a = run(9), b = run(9);
  BOOST_TEST(a[0] == b[0]);
  BOOST_TEST(a[1] == b[1]);
  BOOST_TEST(a[2] == b[2]);
  BOOST_TEST(a[0] != a[1]);
  BOOST_TEST(a[1] != a[2]);
}

// Inference equals an independent double evaluation: y = W2 relu(W1 x + b1) + b2 + x.
BOOST_AUTO_TEST_CASE(inference_matches_reference_at_awkward_widths) {
  auto check = [](auto net_tag) {
    using Net = typename decltype(net_tag)::type;
    constexpr std::size_t N = Net::input_size;
    auto net = std::make_unique<Net>();
    ctnn::initialize(*net, ctnn::rng{N});
    ctnn::rng g{N + 1};
    net->visit_parameters([&](float& p) { p += 0.1f * g.uniform(-1, 1); });
    std::array<float, N> x;
    for (auto& v : x) v = g.uniform(-1, 1);
    const auto& f = net->template layer<0>().body;
    std::vector<double> h(f.template layer<0>().out_size), y(N);
    for (std::size_t o = 0; o < h.size(); ++o) {
      double s = f.template layer<0>().bias()[o];
      for (std::size_t i = 0; i < N; ++i) s += double(f.template layer<0>().weight(o, i)) * x[i];
      h[o] = s > 0 ? s : 0;
    }
    double worst = 0;
    const auto got = (*net)(x);
    for (std::size_t o = 0; o < N; ++o) {
      double s = f.template layer<1>().bias()[o] + x[o];
      for (std::size_t i = 0; i < h.size(); ++i) s += double(f.template layer<1>().weight(o, i)) * h[i];
      worst = worst_of(worst, std::abs(s - got[o]) / (1 + std::abs(s)));
    }
    BOOST_TEST_MESSAGE("width " << N << ": max relative error " << worst);
    BOOST_TEST(worst <= 1e-5);
  };
  auto block_net = []<std::size_t N, std::size_t H>() {
    return std::type_identity<ctnn::network<ctnn::input<N>, ctnn::residual<ctnn::dense<H, ctnn::relu>, ctnn::dense<N>>>>{};
  };
  check(block_net.template operator()<1, 3>());
  check(block_net.template operator()<3, 7>());
  check(block_net.template operator()<7, 15>());
  check(block_net.template operator()<17, 33>());
  check(block_net.template operator()<33, 17>());
}
