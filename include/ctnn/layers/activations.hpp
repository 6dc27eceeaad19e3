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
  template <class T> static T apply(T x) noexcept { return x > T(0) ? x : T(0); }
  template <class T> static T derivative_from_output(T y) noexcept { return y > T(0) ? T(1) : T(0); }
};

/// f(x) = x for x > 0, Slope * x otherwise. Slope must be positive so that the sign of the
/// output tells the branch (PyTorch's default slope is 0.01).
template <float Slope = 0.01f>
struct leaky_relu {
  static_assert(Slope > 0.0f, "ctnn::leaky_relu<Slope>: the slope must be positive (use ctnn::relu for 0)");
  static constexpr activation_kind kind = activation_kind::leaky_relu;
  static constexpr const char* name = "leaky_relu";
  static constexpr float slope = Slope;
  template <class T> static T apply(T x) noexcept { return x > T(0) ? x : T(Slope) * x; }
  template <class T> static T derivative_from_output(T y) noexcept { return y > T(0) ? T(1) : T(Slope); }
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
template <float S> struct is_activation_impl<leaky_relu<S>> { static constexpr bool value = true; };
template <> struct is_activation_impl<sigmoid> { static constexpr bool value = true; };
template <> struct is_activation_impl<tanh> { static constexpr bool value = true; };
}  // namespace detail

/// True for the element-wise activations above (the ones a dense layer can fuse).
template <class A>
concept activation = detail::is_activation_impl<A>::value;

}  // namespace ctnn
