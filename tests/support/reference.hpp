// tests/support/reference.hpp - an independent double-precision forward pass.
//
// Reads a network's parameters through the canonical accessors only (weight(o, i), bias[o])
// and evaluates each layer with plain double arithmetic and <cmath>: nothing of the kernels,
// their layout, padding or vector math is shared with the code under test.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

#include <ctnn/ctnn.hpp>

namespace test_support {

template <class Layer>
struct is_softmax : std::false_type {};
template <class T, std::size_t N>
struct is_softmax<ctnn::softmax_layer<T, N>> : std::true_type {};

template <class Layer>
concept has_weights = requires(const Layer& l) { l.weight(0, 0); };

template <class Act>
double reference_activation(double x) {
  switch (Act::kind) {
    case ctnn::activation_kind::identity: return x;
    case ctnn::activation_kind::relu: return x > 0 ? x : 0;
    case ctnn::activation_kind::leaky_relu:
      if constexpr (requires { Act::slope; }) return x > 0 ? x : double(Act::slope) * x;
      return x;
    case ctnn::activation_kind::sigmoid: return 1.0 / (1.0 + std::exp(-x));
    case ctnn::activation_kind::tanh: return std::tanh(x);
  }
  return x;
}

template <class Layer>
std::vector<double> reference_layer(const Layer& layer, const std::vector<double>& x) {
  std::vector<double> y(Layer::out_size);
  if constexpr (has_weights<Layer>) {
    for (std::size_t o = 0; o < Layer::out_size; ++o) {
      double z = double(layer.bias()[o]);
      for (std::size_t i = 0; i < Layer::in_size; ++i) z += double(layer.weight(o, i)) * x[i];
      y[o] = reference_activation<typename Layer::activation>(z);
    }
  } else if constexpr (is_softmax<Layer>::value) {
    double max = x[0], sum = 0;
    for (double v : x) max = v > max ? v : max;
    for (std::size_t i = 0; i < x.size(); ++i) sum += (y[i] = std::exp(x[i] - max));
    for (double& v : y) v /= sum;
  } else {
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = reference_activation<typename Layer::activation>(x[i]);
  }
  return y;
}

/// The network's output for x, in double.
template <class Net>
std::vector<double> reference_forward(const Net& net, std::vector<double> x) {
  net.for_each_layer([&](const auto& layer) { x = reference_layer(layer, x); });
  return x;
}

}  // namespace test_support
