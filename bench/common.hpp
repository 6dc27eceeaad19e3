// bench/common.hpp - what every implementation in ctnn_bench shares: the shapes of the
// reference networks, their weights in canonical order, and the data they are fed.
//
// Every baseline is built from the same canonical parameters (PyTorch's weight[out][in], then
// bias[out]), exported from a ctnn network initialized with a fixed seed, so that all of them
// compute the same function and the verification at start-up can compare their outputs.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include <ctnn/ctnn.hpp>

namespace bench {

/// One dense layer in canonical order: w[o * in + i] = W[o][i], then b[o].
struct dense_params {
  std::size_t in = 0, out = 0;
  ctnn::activation_kind act = ctnn::activation_kind::identity;
  std::vector<float> w, b;
};

/// Shape of the I-th layer of a ctnn network (every reference network is dense layers with a
/// fused activation).
template <class Net, std::size_t I>
struct layer_shape {
  using layer = typename Net::template layer_type<I>;
  static constexpr std::size_t in = layer::in_size;
  static constexpr std::size_t out = layer::out_size;
  static constexpr ctnn::activation_kind act = layer::activation::kind;
};

/// The network's parameters, canonical order, one entry per layer.
template <class Net>
std::vector<dense_params> export_params(const Net& net) {
  std::vector<dense_params> layers;
  net.for_each_layer([&](const auto& l) {
    using L = std::remove_cvref_t<decltype(l)>;
    dense_params p{L::in_size, L::out_size, L::activation::kind, std::vector<float>(L::in_size * L::out_size),
                   std::vector<float>(L::out_size)};
    for (std::size_t o = 0; o < L::out_size; ++o) {
      for (std::size_t i = 0; i < L::in_size; ++i) p.w[o * L::in_size + i] = l.weight(o, i);
      p.b[o] = l.bias()[o];
    }
    layers.push_back(std::move(p));
  });
  return layers;
}

/// Sets a ctnn network's parameters from canonical ones.
template <class Net>
void import_params(Net& net, const std::vector<dense_params>& layers) {
  std::size_t k = 0;
  net.for_each_layer([&](auto& l) {
    using L = std::remove_cvref_t<decltype(l)>;
    const dense_params& p = layers[k++];
    for (std::size_t o = 0; o < L::out_size; ++o) {
      for (std::size_t i = 0; i < L::in_size; ++i) l.weight(o, i) = p.w[o * L::in_size + i];
      l.bias()[o] = p.b[o];
    }
  });
}

/// Multiply-adds of one inference (weights only; biases and activations are not counted).
template <class Net>
constexpr std::size_t multiply_adds() {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return ((layer_shape<Net, I>::in * layer_shape<Net, I>::out) + ...);
  }(std::make_index_sequence<Net::layer_count>{});
}

/// The data benchmarks rotate through so that no input is hoisted out of the timed loop:
/// `count` input rows of In values in [0, 1), and targets (class labels, real values in
/// [-1, 1]) drawn independently with a prime period. Training step k reads inputs from
/// k * Batch mod count and targets from k * Batch mod target_period: an (input, target) pair
/// comes back only after count * target_period samples, so the network cannot memorize the
/// pool. (It does memorize a pool whose pairs repeat: the loss goes to zero, Adam's moments
/// decay into subnormal floats and every implementation slows down 2-10x, which measures the
/// FPU's subnormal penalty rather than the code.)
template <std::size_t In, std::size_t Out>
struct data_pool {
  static constexpr std::size_t target_period = 4093;
  static constexpr std::size_t max_batch = 128;
  std::vector<std::array<float, In>> x;
  std::vector<std::array<float, Out>> y;  // target_period + max_batch rows: any slice is contiguous
  std::vector<std::uint32_t> label;       // the same

  data_pool(std::size_t count, std::uint64_t seed)
      : x(count), y(target_period + max_batch), label(target_period + max_batch) {
    ctnn::rng g{seed};
    for (auto& row : x)
      for (auto& v : row) v = g.uniform();
    for (std::size_t t = 0; t < target_period; ++t) {
      for (auto& v : y[t]) v = g.uniform(-1.0f, 1.0f);
      label[t] = std::uint32_t(g.next_u32() % Out);
    }
    for (std::size_t t = target_period; t < y.size(); ++t) {
      y[t] = y[t - target_period];
      label[t] = label[t - target_period];
    }
  }
  std::size_t size() const noexcept { return x.size(); }
};

/// Which loss and optimizer a training task uses, for the baselines that are not typed by them.
enum class loss_kind { mean_squared_error, softmax_cross_entropy };
enum class optimizer_kind { adam, sgd };

/// Adam's constants at step t, computed as ctnn::adam and torch.optim.Adam compute them (the
/// bias corrections in double from the float hyper-parameters): every implementation then
/// rounds the same way.
struct adam_constants {
  static constexpr float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  static constexpr float rest1 = float(1.0 - double(beta1)), rest2 = float(1.0 - double(beta2));
  float step_size, correction2_sqrt;
  adam_constants(float lr, std::uint64_t t)
      : step_size(float(double(lr) / (1.0 - std::pow(double(beta1), double(t))))),
        correction2_sqrt(float(std::sqrt(1.0 - std::pow(double(beta2), double(t))))) {}
};

}  // namespace bench
