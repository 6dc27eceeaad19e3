// ctnn/init.hpp - weight and bias initializers, as types a layer spec names.
//
//   ctnn::dense<64, ctnn::relu>                                   // automatic: He uniform
//   ctnn::dense<64, ctnn::tanh, ctnn::init::orthogonal<>>         // explicit weight init
//   ctnn::dense<64, ctnn::relu, ctnn::init::automatic, ctnn::init::constant<1, 100>>  // bias 0.01
//
// Constants are ratios Num/Den of integers (constant<1, 100> is 0.01, xavier_uniform<5, 3> has
// gain 5/3): Clang before 18 does not accept floating-point template arguments.
//
// The formulas are PyTorch's torch.nn.init ones (fan_in = inputs, fan_out = outputs of a dense
// layer); the random numbers come from ctnn::rng, drawn in PyTorch's weight order [out][in].
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "layers/activations.hpp"
#include "rng.hpp"

namespace ctnn::init {

/// Which fan a He/Kaiming initializer scales by.
enum class fan_mode { fan_in, fan_out };

/// The gain PyTorch's calculate_gain gives an activation for He initialization: sqrt(2) for
/// ReLU (and for activations He did not consider), sqrt(2 / (1 + slope^2)) for leaky ReLU.
template <class Act>
inline double he_gain() noexcept {
  if constexpr (Act::kind == activation_kind::leaky_relu)
    return std::sqrt(2.0 / (1.0 + double(Act::slope) * double(Act::slope)));
  else
    return std::sqrt(2.0);
}

// Every initializer has fill<Act>(w, rows, cols, fan_in, fan_out, rng), where w(r, c) is a
// reference to element r, c of a rows x cols matrix (a bias is rows x 1).

/// All zeros.
struct zeros {
  template <class Act, class W>
  static void fill(W&& w, std::size_t rows, std::size_t cols, std::size_t, std::size_t, rng&) noexcept {
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) w(r, c) = 0;
  }
};

/// Every value Num/Den (0.01 for ReLU biases keeps units alive at the start of training).
template <std::intmax_t Num, std::intmax_t Den = 1>
struct constant {
  static_assert(Den != 0, "ctnn::init::constant<Num, Den>: Den must not be zero");
  template <class Act, class W>
  static void fill(W&& w, std::size_t rows, std::size_t cols, std::size_t, std::size_t, rng&) noexcept {
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) w(r, c) = static_cast<float>(double(Num) / double(Den));
  }
};

namespace detail {
template <class W>
void fill_uniform(W&& w, std::size_t rows, std::size_t cols, double bound, rng& g) noexcept {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) w(r, c) = static_cast<float>(bound * (2.0 * g.uniform() - 1.0));
}
template <class W>
void fill_normal(W&& w, std::size_t rows, std::size_t cols, double stddev, rng& g) noexcept {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) w(r, c) = static_cast<float>(stddev * g.normal());
}
}  // namespace detail

/// U(-a, a), a = Num/Den.
template <std::intmax_t Num, std::intmax_t Den = 1>
struct uniform {
  static_assert(Num > 0 && Den > 0, "ctnn::init::uniform<Num, Den>: the bound Num/Den must be positive");
  template <class Act, class W>
  static void fill(W&& w, std::size_t rows, std::size_t cols, std::size_t, std::size_t, rng& g) noexcept {
    detail::fill_uniform(w, rows, cols, double(Num) / double(Den), g);
  }
};

/// Glorot & Bengio: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).
template <std::intmax_t GainNum = 1, std::intmax_t GainDen = 1>
struct xavier_uniform {
  static constexpr double gain = double(GainNum) / double(GainDen);
  template <class Act, class W>
  static void fill(W&& w, std::size_t rows, std::size_t cols, std::size_t fan_in, std::size_t fan_out, rng& g) noexcept {
    detail::fill_uniform(w, rows, cols, gain * std::sqrt(6.0 / double(fan_in + fan_out)), g);
  }
};

/// Glorot & Bengio: N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)).
template <std::intmax_t GainNum = 1, std::intmax_t GainDen = 1>
struct xavier_normal {
  static constexpr double gain = double(GainNum) / double(GainDen);
  template <class Act, class W>
  static void fill(W&& w, std::size_t rows, std::size_t cols, std::size_t fan_in, std::size_t fan_out, rng& g) noexcept {
    detail::fill_normal(w, rows, cols, gain * std::sqrt(2.0 / double(fan_in + fan_out)), g);
  }
};

/// He et al.: U(-b, b), b = gain * sqrt(3 / fan), gain from the layer's activation.
template <fan_mode Mode = fan_mode::fan_in>
struct he_uniform {
  template <class Act, class W>
  static void fill(W&& w, std::size_t rows, std::size_t cols, std::size_t fan_in, std::size_t fan_out, rng& g) noexcept {
    const double fan = double(Mode == fan_mode::fan_in ? fan_in : fan_out);
    detail::fill_uniform(w, rows, cols, he_gain<Act>() * std::sqrt(3.0 / fan), g);
  }
};

/// He et al.: N(0, s^2), s = gain / sqrt(fan).
template <fan_mode Mode = fan_mode::fan_in>
struct he_normal {
  template <class Act, class W>
  static void fill(W&& w, std::size_t rows, std::size_t cols, std::size_t fan_in, std::size_t fan_out, rng& g) noexcept {
    const double fan = double(Mode == fan_mode::fan_in ? fan_in : fan_out);
    detail::fill_normal(w, rows, cols, he_gain<Act>() / std::sqrt(fan), g);
  }
};

/// Saxe et al.: a (semi-)orthogonal matrix times the gain GainNum/GainDen. A normal matrix is orthonormalized by
/// modified Gram-Schmidt, applied twice for accuracy, along the shorter side: rows when
/// rows <= cols (W W^T = I), columns otherwise (W^T W = I). This is the Q of a QR decomposition
/// with a positive diagonal R, the distribution torch.nn.init.orthogonal_ samples. In place,
/// no scratch memory.
template <std::intmax_t GainNum = 1, std::intmax_t GainDen = 1>
struct orthogonal {
  static constexpr double gain = double(GainNum) / double(GainDen);
  template <class Act, class W>
  static void fill(W&& w, std::size_t rows, std::size_t cols, std::size_t, std::size_t, rng& g) noexcept {
    detail::fill_normal(w, rows, cols, 1.0, g);
    const bool by_rows = rows <= cols;
    const std::size_t count = by_rows ? rows : cols, length = by_rows ? cols : rows;
    auto at = [&](std::size_t v, std::size_t k) -> decltype(auto) { return by_rows ? w(v, k) : w(k, v); };
    for (std::size_t v = 0; v < count; ++v) {
      for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t u = 0; u < v; ++u) {
          double dot = 0;
          for (std::size_t k = 0; k < length; ++k) dot += double(at(u, k)) * double(at(v, k));
          // dot * w is inexact in double: kept apart from the subtraction (rng.hpp, rounded) so
          // that FMA hardware gives the same matrix. The float products above and below are exact.
          for (std::size_t k = 0; k < length; ++k)
            at(v, k) = static_cast<float>(at(v, k) - ctnn::detail::rounded(dot * at(u, k)));
        }
      }
      double norm = 0;
      for (std::size_t k = 0; k < length; ++k) norm += double(at(v, k)) * double(at(v, k));
      const double scale = 1.0 / std::sqrt(norm);
      for (std::size_t k = 0; k < length; ++k) at(v, k) = static_cast<float>(at(v, k) * scale);
    }
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) w(r, c) = static_cast<float>(w(r, c) * gain);
  }
};

/// The default: He uniform (fan_in) for the ReLU family, Xavier uniform for tanh, sigmoid and
/// identity (the pairing He and Glorot derived their scales for).
struct automatic {
  template <class Act, class W>
  static void fill(W&& w, std::size_t rows, std::size_t cols, std::size_t fan_in, std::size_t fan_out, rng& g) noexcept {
    if constexpr (Act::kind == activation_kind::relu || Act::kind == activation_kind::leaky_relu)
      he_uniform<>::fill<Act>(w, rows, cols, fan_in, fan_out, g);
    else
      xavier_uniform<>::fill<Act>(w, rows, cols, fan_in, fan_out, g);
  }
};

}  // namespace ctnn::init
