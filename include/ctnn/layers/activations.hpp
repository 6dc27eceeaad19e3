// ctnn/layers/activations.hpp - the element-wise activation functions.
//
// Each activation is an empty type used both as a layer spec (`ctnn::relu` in a network's
// parameter list) and as the fused activation of a dense layer (`ctnn::dense<32, ctnn::relu>`).
// It carries the scalar definition of the function and of its derivative expressed through the
// function's *output*: backward passes then only need the cached output, which is what lets a
// dense layer and its activation share one buffer and one kernel. The vector forms live with
// the kernels (kernels/simd.hpp); kernels/scalar.hpp uses the definitions below.
#pragma once

#include <cmath>
#include <cstdint>

namespace ctnn {

/// Kinds of activation, recorded in the topology hash of weight files.
enum class activation_kind : std::uint8_t { identity = 0, relu = 1, leaky_relu = 2, sigmoid = 3, tanh = 4 };

/// f(x) = x.
struct identity {
  static constexpr activation_kind kind = activation_kind::identity;
  static constexpr const char* name = "identity";
  template <class T> static T apply(T x) noexcept { return x; }
  template <class T> static T derivative_from_output(T) noexcept { return T(1); }
};

/// f(x) = max(x, 0). The derivative at 0 is taken as 0, as in PyTorch.
struct relu {
  static constexpr activation_kind kind = activation_kind::relu;
  static constexpr const char* name = "relu";
  // "<= 0 gives 0" rather than "> 0 keeps x": a NaN stays NaN, as in torch.relu, so that the
  // trainer's finiteness check sees it (max(NaN, 0) gave 0, and a NaN weight trained on unseen).
  template <class T> static T apply(T x) noexcept { return x <= T(0) ? T(0) : x; }
  template <class T> static T derivative_from_output(T y) noexcept { return y > T(0) ? T(1) : T(0); }
};

/// f(x) = x for x > 0, slope * x otherwise, slope = Num / Den: leaky_relu<1, 10> has slope 0.1;
/// the default is PyTorch's 0.01. (A ratio rather than a float template parameter: Clang
/// before 18 does not accept floating-point template arguments.) The slope must be positive
/// so that the sign of the output tells the branch.
template <std::intmax_t Num = 1, std::intmax_t Den = 100>
struct leaky_relu {
  static_assert(Num > 0 && Den > 0, "ctnn::leaky_relu<Num, Den>: the slope Num/Den must be positive (use ctnn::relu for 0)");
  static constexpr activation_kind kind = activation_kind::leaky_relu;
  static constexpr const char* name = "leaky_relu";
  static constexpr float slope = float(Num) / float(Den);  ///< as the topology hash records it
  /// The slope in T: a double network uses 0.01, not the float 0.00999999977.
  template <class T> static constexpr T slope_in = T(Num) / T(Den);
  template <class T> static T apply(T x) noexcept { return x > T(0) ? x : slope_in<T> * x; }
  template <class T> static T derivative_from_output(T y) noexcept { return y > T(0) ? T(1) : slope_in<T>; }
};

/// f(x) = 1 / (1 + exp(-x)).
struct sigmoid {
  static constexpr activation_kind kind = activation_kind::sigmoid;
  static constexpr const char* name = "sigmoid";
  template <class T> static T apply(T x) noexcept { return T(1) / (T(1) + std::exp(-x)); }
  template <class T> static T derivative_from_output(T y) noexcept { return y * (T(1) - y); }
};

/// f(x) = tanh(x).
struct tanh {
  static constexpr activation_kind kind = activation_kind::tanh;
  static constexpr const char* name = "tanh";
  template <class T> static T apply(T x) noexcept { return std::tanh(x); }
  template <class T> static T derivative_from_output(T y) noexcept { return T(1) - y * y; }
};

namespace detail {
template <class A> struct is_activation_impl { static constexpr bool value = false; };
template <> struct is_activation_impl<identity> { static constexpr bool value = true; };
template <> struct is_activation_impl<relu> { static constexpr bool value = true; };
template <std::intmax_t N, std::intmax_t D> struct is_activation_impl<leaky_relu<N, D>> { static constexpr bool value = true; };
template <> struct is_activation_impl<sigmoid> { static constexpr bool value = true; };
template <> struct is_activation_impl<tanh> { static constexpr bool value = true; };
}  // namespace detail

/// True for the element-wise activations above (the ones a dense layer can fuse).
template <class A>
concept activation = detail::is_activation_impl<A>::value;

}  // namespace ctnn
