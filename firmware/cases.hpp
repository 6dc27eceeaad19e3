// firmware/cases.hpp - what the firmware tests compute, shared by the device programs and the
// host program that computes the expected results (make_reference.cpp). Both sides compile
// this one file, so they run the same networks, data, seeds and step counts by construction.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include <ctnn/ctnn.hpp>

namespace cases {

/// Reference network S (DESIGN.md): a control-loop-sized model.
using s_network =
    ctnn::network<ctnn::input<4>, ctnn::dense<16, ctnn::tanh>, ctnn::dense<16, ctnn::tanh>, ctnn::dense<2>>;
/// Inputs on which the device must reproduce the host's outputs of S.
inline constexpr std::size_t s_input_count = 16;
/// Largest |device - host| accepted for an output of S (the figure).
inline constexpr float s_tolerance = 1e-5f;

/// XOR: the four corners, 2-8-1 tanh network, mean squared error, Adam, whole batch per step.
struct xor_problem {
  using network = ctnn::network<ctnn::input<2>, ctnn::dense<8, ctnn::tanh>, ctnn::dense<1>>;
  static constexpr std::size_t batch = 4;
  static constexpr std::size_t steps = 300;
  static constexpr std::uint64_t seed = 1;
  static constexpr double converged_loss = 0.01;
  static constexpr std::array<std::array<float, 2>, batch> inputs{{{0, 0}, {0, 1}, {1, 0}, {1, 1}}};
  static constexpr std::array<std::array<float, 1>, batch> targets{{{0}, {1}, {1}, {0}}};
  using trainer = ctnn::trainer<network, ctnn::mean_squared_error, ctnn::adam, batch>;
  static trainer make_trainer() noexcept { return trainer{{.learning_rate = 0.05f}}; }
};

/// Regression: y = x^3 - x/2 on 16 evenly spaced points of [-1, 1], 1-16-1 tanh network,
/// mean squared error, SGD with momentum, whole batch per step.
struct cubic_problem {
  using network = ctnn::network<ctnn::input<1>, ctnn::dense<16, ctnn::tanh>, ctnn::dense<1>>;
  static constexpr std::size_t batch = 16;
  static constexpr std::size_t steps = 400;
  static constexpr std::uint64_t seed = 3;
  static constexpr double converged_loss = 0.002;
  static constexpr auto inputs = [] {
    std::array<std::array<float, 1>, batch> in{};
    for (std::size_t i = 0; i < batch; ++i) in[i][0] = -1.0f + 2.0f * float(i) / float(batch - 1);
    return in;
  }();
  static constexpr auto targets = [] {
    std::array<std::array<float, 1>, batch> out{};
    for (std::size_t i = 0; i < batch; ++i) out[i][0] = inputs[i][0] * (inputs[i][0] * inputs[i][0] - 0.5f);
    return out;
  }();
  using trainer = ctnn::trainer<network, ctnn::mean_squared_error, ctnn::sgd, batch>;
  static trainer make_trainer() noexcept { return trainer{{.learning_rate = 0.1f, .momentum = 0.9f}}; }
};

/// How far a device loss may stray from the host's at the same step, relative to the host's
/// loss but to no less than loss_floor: the two sides differ only in the C library's
/// tanhf/expm1f/pow (newlib against glibc, an ulp or two), which training carries forward, and
/// once a loss is down to rounding noise (XOR reaches 1e-13) only its absolute size means anything.
/// Measured on both Cortex-M targets: at most 2e-5 (docs/footprint.md).
inline constexpr double loss_tolerance = 1e-4;
inline constexpr double loss_floor = 1e-4;

}  // namespace cases
