// Forward, loss, gradients and 100-step optimizer trajectories against PyTorch.
//
// tests/golden/make_training_golden.py writes training.txt with torch (float64). The double
// networks must match to 1e-9; the float networks to 1e-5 (outputs) and 1e-4 (losses,
// gradients, parameters after 100 steps), all as |got - want| / (1 + |want|).
#define BOOST_TEST_MODULE training_golden
#include <boost/test/unit_test.hpp>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <ctnn/ctnn.hpp>

#include "support/golden.hpp"

using namespace test_support;

namespace {

const golden_file& golden() {
  static const golden_file file(CTNN_TEST_DATA_DIR "/golden/training.txt");
  return file;
}

template <class T>
using net_A = ctnn::basic_network<T, ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::dense<6>, ctnn::relu, ctnn::dense<3>>;
template <class T>
using net_B = ctnn::basic_network<T, ctnn::input<5>, ctnn::dense<7>, ctnn::sigmoid, ctnn::dense<6>,
                                  ctnn::leaky_relu<1, 10>, ctnn::dense<3>>;
template <class T>
using net_C = ctnn::basic_network<T, ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::dense<3>, ctnn::softmax>;

struct tolerances {
  double output, gradient, trajectory;
};
template <class T>
constexpr tolerances tol = std::is_same_v<T, double> ? tolerances{1e-9, 1e-9, 1e-12} : tolerances{1e-5, 1e-4, 1e-4};

template <class T, std::size_t N>
std::array<std::array<T, N>, 4> rows(const std::vector<double>& v, std::size_t first_row = 0) {
  std::array<std::array<T, N>, 4> out{};
  for (std::size_t b = 0; b < 4; ++b)
    for (std::size_t i = 0; i < N; ++i) out[b][i] = T(v.at((first_row + b) * N + i));
  return out;
}

template <class Net, class Loss>
void check_loss(const std::string& net_name, const std::string& loss_name) {
  using T = typename Net::value_type;
  auto net = std::make_unique<Net>();
  set_parameters(*net, golden()[net_name + "/init"]);
  const auto x = rows<T, 5>(golden()["input"]);
  std::array<typename Loss::template target_type<T, 3>, 4> target{};
  if constexpr (std::is_same_v<Loss, ctnn::softmax_cross_entropy>) {
    for (std::size_t b = 0; b < 4; ++b) target[b] = std::uint32_t(golden()["labels"][b]);
  } else {
    target = rows<T, 3>(golden()[loss_name == "mse" ? "mse_target" : "bce_target"]);
  }
  auto trainer = std::make_unique<ctnn::trainer<Net, Loss, ctnn::plain_sgd, 4>>();
  const auto report = trainer->compute_gradients(*net, x, target);
  BOOST_REQUIRE(report.ok());
  const std::string key = net_name + "/" + loss_name;
  const double loss_error = max_relative_error({report.loss}, golden()[key + "/loss"]);
  const double grad_error = max_relative_error(parameters_of(trainer->gradients()), golden()[key + "/grad"]);
  BOOST_TEST_MESSAGE(key << " (" << sizeof(T) * 8 << "-bit): loss error " << loss_error << ", gradient error "
                         << grad_error);
  BOOST_TEST(loss_error <= tol<T>.gradient, key);
  BOOST_TEST(grad_error <= tol<T>.gradient, key);
}

template <class Net>
void check_forward(const std::string& name) {
  using T = typename Net::value_type;
  auto net = std::make_unique<Net>();
  set_parameters(*net, golden()[name + "/init"]);
  const auto x = rows<T, 5>(golden()["input"]);
  std::vector<double> out;
  for (const auto& row : x)
    for (T v : (*net)(row)) out.push_back(double(v));
  const double e = max_relative_error(out, golden()[name + "/output"]);
  BOOST_TEST_MESSAGE(name << " forward (" << sizeof(T) * 8 << "-bit): error " << e);
  BOOST_TEST(e <= tol<T>.output, name);
}

template <class T>
void check_all_forward_and_losses() {
  check_forward<net_A<T>>("A");
  check_forward<net_B<T>>("B");
  check_forward<net_C<T>>("C");
  check_loss<net_A<T>, ctnn::mean_squared_error>("A", "mse");
  check_loss<net_A<T>, ctnn::softmax_cross_entropy>("A", "ce");
  check_loss<net_A<T>, ctnn::binary_cross_entropy>("A", "bce");
  check_loss<net_B<T>, ctnn::mean_squared_error>("B", "mse");
  check_loss<net_B<T>, ctnn::softmax_cross_entropy>("B", "ce");
  check_loss<net_B<T>, ctnn::binary_cross_entropy>("B", "bce");
  check_loss<net_C<T>, ctnn::mean_squared_error>("C", "mse");
}

template <class T, class Optimizer>
void check_trajectory(const std::string& variant, typename Optimizer::options options) {
  using Net = net_A<T>;
  auto net = std::make_unique<Net>();
  set_parameters(*net, golden()["opt/init"]);
  auto trainer = std::make_unique<ctnn::trainer<Net, ctnn::mean_squared_error, Optimizer, 4>>(options);
  std::vector<double> losses;
  for (std::size_t step = 0; step < 100; ++step) {
    const std::size_t k = step % 8;
    const auto report = trainer->step(*net, rows<T, 5>(golden()["opt/inputs"], 4 * k),
                                      rows<T, 3>(golden()["opt/targets"], 4 * k));
    BOOST_REQUIRE_MESSAGE(report.ok(), report.status.message());
    losses.push_back(report.loss);
  }
  const double loss_error = max_relative_error(losses, golden()["opt/" + variant + "/losses"]);
  const double param_error = max_relative_error(parameters_of(*net), golden()["opt/" + variant + "/params"]);
  BOOST_TEST_MESSAGE(variant << " (" << sizeof(T) * 8 << "-bit): 100-step loss error " << loss_error
                             << ", parameter error " << param_error);
  BOOST_TEST(loss_error <= tol<T>.trajectory, variant);
  BOOST_TEST(param_error <= tol<T>.trajectory, variant);
}

template <class T>
void check_all_optimizers() {
  check_trajectory<T, ctnn::plain_sgd>("sgd", {.learning_rate = 0.05f});
  check_trajectory<T, ctnn::plain_sgd>("sgd_wd", {.learning_rate = 0.05f, .weight_decay = 0.01f});
  check_trajectory<T, ctnn::sgd>("sgd", {.learning_rate = 0.05f});
  check_trajectory<T, ctnn::sgd>("sgd_wd", {.learning_rate = 0.05f, .weight_decay = 0.01f});
  check_trajectory<T, ctnn::sgd>("sgd_momentum", {.learning_rate = 0.05f, .momentum = 0.9f});
  check_trajectory<T, ctnn::sgd>("sgd_dampening", {.learning_rate = 0.05f, .momentum = 0.9f, .dampening = 0.3f});
  check_trajectory<T, ctnn::sgd>("sgd_nesterov",
                                 {.learning_rate = 0.05f, .momentum = 0.9f, .weight_decay = 0.01f, .nesterov = true});
  check_trajectory<T, ctnn::rmsprop>("rmsprop", {.learning_rate = 0.01f});
  check_trajectory<T, ctnn::rmsprop>("rmsprop_alpha_eps", {.learning_rate = 0.01f, .alpha = 0.9f, .eps = 1e-6f});
  check_trajectory<T, ctnn::rmsprop>("rmsprop_momentum",
                                     {.learning_rate = 0.005f, .weight_decay = 0.01f, .momentum = 0.5f});
  check_trajectory<T, ctnn::rmsprop>("rmsprop_centered", {.learning_rate = 0.005f, .centered = true});
  check_trajectory<T, ctnn::rmsprop>("rmsprop_centered_momentum",
                                     {.learning_rate = 0.005f, .momentum = 0.5f, .centered = true});
  check_trajectory<T, ctnn::adam>("adam", {.learning_rate = 0.01f});
  check_trajectory<T, ctnn::adam>("adam_wd",
                                  {.learning_rate = 0.01f, .beta1 = 0.8f, .beta2 = 0.99f, .eps = 1e-6f, .weight_decay = 0.01f});
  check_trajectory<T, ctnn::adam_amsgrad>("adam_amsgrad", {.learning_rate = 0.01f});
  check_trajectory<T, ctnn::adamw>("adamw", {.learning_rate = 0.01f});
  check_trajectory<T, ctnn::adamw_amsgrad>("adamw_amsgrad", {.learning_rate = 0.01f, .weight_decay = 0.05f});
}

}  // namespace

BOOST_AUTO_TEST_CASE(forward_losses_gradients_double) { check_all_forward_and_losses<double>(); }
BOOST_AUTO_TEST_CASE(forward_losses_gradients_float) { check_all_forward_and_losses<float>(); }
BOOST_AUTO_TEST_CASE(optimizers_double) { check_all_optimizers<double>(); }
BOOST_AUTO_TEST_CASE(optimizers_float) { check_all_optimizers<float>(); }
