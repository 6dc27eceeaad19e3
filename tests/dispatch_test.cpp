// Dynamic dispatch (CTNN_DYNAMIC_DISPATCH, kernels/dispatch.hpp), built without -march: every
// target this CPU supports and the build compiled is forced in turn (Highway's
// SetSupportedTargetsForTest) and must be the one the kernels run on; under each, the
// dispatched kernels are checked against their scalar twins (the shared kernel checks, on the
// widest target's row padding, which the narrower targets step through in several vectors),
// and a network's inference and training against an independent double-precision forward
// pass and against the other targets. tests/meson.build also runs it on older x86 CPUs
// emulated by qemu-user, where it must start and choose what those CPUs have.
#define BOOST_TEST_MODULE dispatch
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <ctnn/ctnn.hpp>

namespace under_test = ctnn::kernels::dispatched;
#include "support/kernel_checks.hpp"
#include "support/reference.hpp"
#include "support/worst.hpp"

using namespace kernel_checks;

namespace {

/// Forces one target for its lifetime, then gives the choice back to the CPU (also when a
/// failed BOOST_TEST_REQUIRE leaves the test case early).
struct forced_target {
  explicit forced_target(std::int64_t target) {
    hwy::SetSupportedTargetsForTest(target);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  }
  ~forced_target() {
    hwy::SetSupportedTargetsForTest(0);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  }
  forced_target(const forced_target&) = delete;
  forced_target& operator=(const forced_target&) = delete;
};

/// Runs body() under each supported and compiled target, forced.
template <class Body>
void for_each_target(Body body) {
  const std::vector<std::int64_t> targets = hwy::SupportedAndGeneratedTargets();
  BOOST_TEST_REQUIRE(targets.size() >= 2, "fewer than two targets to dispatch to: was this built with -march?");
  for (const std::int64_t target : targets) {
    const forced_target forced{target};
    BOOST_TEST_CONTEXT("target " << hwy::TargetName(target)) {
      BOOST_TEST(under_test::chosen_target() == target);
      BOOST_TEST(std::string(ctnn::kernel_backend()) == hwy::TargetName(target));
      body();
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(chooses_the_best_target_the_cpu_supports) {
  const std::int64_t usable = hwy::SupportedTargets() & HWY_TARGETS;
  BOOST_TEST_MESSAGE("kernels run on " << ctnn::kernel_backend());
  BOOST_TEST(under_test::chosen_target() == (usable & -usable));  // Highway: lower bit, better target
  // Under qemu-user with an older CPU model (tests/meson.build), the target that CPU must get.
  if (const char* expected = std::getenv("CTNN_EXPECT_TARGET")) BOOST_TEST(std::string(ctnn::kernel_backend()) == expected);
  BOOST_TEST(ctnn::simd_lanes<float> == 16u);                   // rows padded for AVX-512 whatever runs
}

BOOST_AUTO_TEST_CASE(dense_kernels_under_every_target) {
  for_each_target([] {
    check_dense_kernels<float, ctnn::tanh, 1, 17, 33>();
    check_dense_kernels<float, ctnn::relu, 1, 3, 7>();
    check_dense_kernels<float, ctnn::sigmoid, 7, 33, 15>();
    check_dense_kernels<float, ctnn::relu, 13, 31, 64>();
    check_dense_kernels<float, ctnn::identity, 1, 7, 257>();
    check_dense_kernels<double, ctnn::tanh, 3, 15, 17>();
  });
}

BOOST_AUTO_TEST_CASE(optimizer_kernels_under_every_target) {
  for_each_target([] { check_optimizer_kernels(); });
}

// The same network, initialized alike, predicts the reference forward pass's values and trains
// to the same parameters (to float reassociation) under every target.
BOOST_AUTO_TEST_CASE(network_inference_and_training_under_every_target) {
  using net_t = ctnn::network<ctnn::input<5>, ctnn::dense<17, ctnn::tanh>, ctnn::dense<3>>;
  constexpr std::size_t batch = 8;
  std::array<std::array<float, 5>, batch> x{};
  std::array<std::array<float, 3>, batch> y{};
  ctnn::rng data{7};
  for (std::size_t b = 0; b < batch; ++b) {
    for (auto& v : x[b]) v = data.uniform(-1.0f, 1.0f);
    y[b] = {x[b][0] * x[b][1], x[b][2] - x[b][3], std::sin(3 * x[b][4])};
  }
  std::vector<std::vector<float>> trained;  // each target's parameters after training
  for_each_target([&] {
    net_t net;
    ctnn::initialize(net, ctnn::rng{3});
    for (const auto& xi : x) {
      const auto got = net(xi);
      const auto want = test_support::reference_forward(net, std::vector<double>(xi.begin(), xi.end()));
      for (std::size_t o = 0; o < 3; ++o) BOOST_TEST(std::abs(got[o] - want[o]) <= 1e-5, "output " << o);
    }
    ctnn::trainer<net_t, ctnn::mean_squared_error, ctnn::adam, batch> trainer{{.learning_rate = 0.01f}};
    const double first_loss = trainer.step(net, x, y).loss;
    double loss = first_loss;
    for (int step = 0; step < 30; ++step) {
      const auto report = trainer.step(net, x, y);
      BOOST_TEST_REQUIRE(report.ok(), report.status.message());
      loss = report.loss;
    }
    BOOST_TEST(loss < 0.5 * first_loss, "loss " << first_loss << " -> " << loss);
    std::vector<float> parameters;
    net.zip_buffers([&](std::span<float> p) { parameters.insert(parameters.end(), p.begin(), p.end()); });
    trained.push_back(std::move(parameters));
  });
  for (std::size_t t = 1; t < trained.size(); ++t) {
    BOOST_TEST_REQUIRE(trained[t].size() == trained[0].size());
    double worst = 0;
    for (std::size_t i = 0; i < trained[0].size(); ++i) worst = worst_of(worst, double(std::abs(trained[t][i] - trained[0][i])));
    BOOST_TEST(worst <= 1e-4, "target " << t << " vs the first: max parameter difference " << worst);
  }
}
