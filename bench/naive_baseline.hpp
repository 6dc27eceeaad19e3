// bench/naive_baseline.hpp - the `naive` rows: what a programmer writes with plain loops.
//
// Canonical layout (weight[out][in], a dot product per output), compile-time sizes, std::tanh,
// no intrinsics and no -ffast-math: built at -O3 with the same -march as everything else, so
// whatever the compiler vectorizes by itself it may. Without reassociation GCC keeps each dot
// product a serial chain of scalar FMAs; that is the point of this row.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "common.hpp"

namespace bench::naive {

template <ctnn::activation_kind A>
inline float activate(float x) noexcept {
  if constexpr (A == ctnn::activation_kind::relu) return x > 0.0f ? x : 0.0f;
  else if constexpr (A == ctnn::activation_kind::tanh) return std::tanh(x);
  else if constexpr (A == ctnn::activation_kind::sigmoid) return 1.0f / (1.0f + std::exp(-x));
  else return x;
}

template <ctnn::activation_kind A>
inline float derivative_from_output(float y) noexcept {
  if constexpr (A == ctnn::activation_kind::relu) return y > 0.0f ? 1.0f : 0.0f;
  else if constexpr (A == ctnn::activation_kind::tanh) return 1.0f - y * y;
  else if constexpr (A == ctnn::activation_kind::sigmoid) return y * (1.0f - y);
  else return 1.0f;
}

template <std::size_t In, std::size_t Out, ctnn::activation_kind A>
struct dense {
  static constexpr std::size_t in = In, out = Out;
  static constexpr ctnn::activation_kind act = A;
  float w[Out][In];
  float b[Out];

  void set(const dense_params& p) {
    for (std::size_t o = 0; o < Out; ++o) {
      for (std::size_t i = 0; i < In; ++i) w[o][i] = p.w[o * In + i];
      b[o] = p.b[o];
    }
  }
  void get(dense_params& p) const {
    for (std::size_t o = 0; o < Out; ++o) {
      for (std::size_t i = 0; i < In; ++i) p.w[o * In + i] = w[o][i];
      p.b[o] = b[o];
    }
  }
  void forward(const float* x, float* y) const noexcept {
    for (std::size_t o = 0; o < Out; ++o) {
      float s = b[o];
      for (std::size_t i = 0; i < In; ++i) s += w[o][i] * x[i];
      y[o] = activate<A>(s);
    }
  }
};

template <class Net, class = std::make_index_sequence<Net::layer_count>>
struct layers_of;
template <class Net, std::size_t... I>
struct layers_of<Net, std::index_sequence<I...>> {
  using type = std::tuple<dense<layer_shape<Net, I>::in, layer_shape<Net, I>::out, layer_shape<Net, I>::act>...>;
  static constexpr std::size_t widest = std::max({layer_shape<Net, I>::out...});
};

/// Batch-1 inference with plain loops.
template <class Net>
class network {
 public:
  using layers = typename layers_of<Net>::type;
  static constexpr std::size_t layer_count = Net::layer_count;

  explicit network(const std::vector<dense_params>& p) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (std::get<I>(layers_).set(p[I]), ...); }(
        std::make_index_sequence<layer_count>{});
  }
  void infer(const float* x, float* y) const noexcept {
    float buf[2][layers_of<Net>::widest];
    const float* src = x;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((std::get<I>(layers_).forward(src, I + 1 == layer_count ? y : buf[I % 2]), src = buf[I % 2]), ...);
    }(std::make_index_sequence<layer_count>{});
  }

 private:
  layers layers_;
};

/// One mini-batch step with plain loops: forward, loss, backward, Adam or SGD, the same math
/// as ctnn::trainer (mean reduction; Adam as torch.optim.Adam).
template <class Net, loss_kind Loss, optimizer_kind Opt, std::size_t Batch>
class trainer {
  using layers = typename layers_of<Net>::type;
  static constexpr std::size_t layer_count = Net::layer_count;
  static constexpr std::size_t widest = std::max(layers_of<Net>::widest, Net::input_size);

  template <class L>
  struct state {
    float gw[L::out][L::in], gb[L::out];
    float mw[L::out][L::in], vw[L::out][L::in], mb[L::out], vb[L::out];
    float a[Batch][L::out];  // layer outputs
  };
  template <class>
  struct states_of;
  template <class... L>
  struct states_of<std::tuple<L...>> {
    using type = std::tuple<state<L>...>;
  };

 public:
  static constexpr std::size_t out_size = Net::output_size;
  using target_type = std::conditional_t<Loss == loss_kind::softmax_cross_entropy, std::uint32_t, std::array<float, out_size>>;

  trainer(const std::vector<dense_params>& p, float learning_rate) : lr_(learning_rate) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (std::get<I>(net_).set(p[I]), ...); }(
        std::make_index_sequence<layer_count>{});
  }
  std::vector<dense_params> parameters() const {
    std::vector<dense_params> p;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((p.push_back({layer_shape<Net, I>::in, layer_shape<Net, I>::out, layer_shape<Net, I>::act,
                     std::vector<float>(layer_shape<Net, I>::in * layer_shape<Net, I>::out),
                     std::vector<float>(layer_shape<Net, I>::out)}),
        std::get<I>(net_).get(p.back())),
       ...);
    }(std::make_index_sequence<layer_count>{});
    return p;
  }

  /// x: Batch rows of Net::input_size values. Returns the mean loss.
  double step(const float* x, const target_type* targets) noexcept {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (forward<I>(x), ...); }(std::make_index_sequence<layer_count>{});
    const double loss = loss_and_gradient(targets);
    backward<layer_count - 1>(x);
    ++t_;
    [&]<std::size_t... I>(std::index_sequence<I...>) { (update<I>(), ...); }(std::make_index_sequence<layer_count>{});
    return loss;
  }

 private:
  template <std::size_t I>
  const float* input_of(const float* x, std::size_t b) const noexcept {
    using L = std::tuple_element_t<I, layers>;
    if constexpr (I == 0) return x + b * L::in;
    else return std::get<I - 1>(s_).a[b];
  }

  template <std::size_t I>
  void forward(const float* x) noexcept {
    for (std::size_t b = 0; b < Batch; ++b) std::get<I>(net_).forward(input_of<I>(x, b), std::get<I>(s_).a[b]);
  }

  double loss_and_gradient(const target_type* targets) noexcept {
    auto& a = std::get<layer_count - 1>(s_).a;
    double sum = 0;
    if constexpr (Loss == loss_kind::softmax_cross_entropy) {
      for (std::size_t b = 0; b < Batch; ++b) {
        float max = a[b][0];
        for (std::size_t o = 1; o < out_size; ++o) max = a[b][o] > max ? a[b][o] : max;
        float total = 0;
        for (std::size_t o = 0; o < out_size; ++o) total += (delta_[b][o] = std::exp(a[b][o] - max));
        sum += double(std::log(total)) + double(max) - double(a[b][targets[b]]);
        for (std::size_t o = 0; o < out_size; ++o) delta_[b][o] = delta_[b][o] / total / float(Batch);
        delta_[b][targets[b]] -= 1.0f / float(Batch);
      }
      return sum / double(Batch);
    } else {
      for (std::size_t b = 0; b < Batch; ++b) {
        for (std::size_t o = 0; o < out_size; ++o) {
          const float diff = a[b][o] - targets[b][o];
          sum += double(diff) * double(diff);
          delta_[b][o] = 2.0f * diff / float(Batch * out_size);
        }
      }
      return sum / double(Batch * out_size);
    }
  }

  // delta_ holds dL/d(output of layer I) on entry; on exit dL/d(output of layer I-1).
  template <std::size_t I>
  void backward(const float* x) noexcept {
    using L = std::tuple_element_t<I, layers>;
    const L& layer = std::get<I>(net_);
    auto& s = std::get<I>(s_);
    for (std::size_t b = 0; b < Batch; ++b)
      for (std::size_t o = 0; o < L::out; ++o) delta_[b][o] *= derivative_from_output<L::act>(s.a[b][o]);
    for (std::size_t o = 0; o < L::out; ++o) {
      for (std::size_t i = 0; i < L::in; ++i) {
        float g = 0;
        for (std::size_t b = 0; b < Batch; ++b) g += delta_[b][o] * input_of<I>(x, b)[i];
        s.gw[o][i] = g;
      }
      float g = 0;
      for (std::size_t b = 0; b < Batch; ++b) g += delta_[b][o];
      s.gb[o] = g;
    }
    if constexpr (I > 0) {
      for (std::size_t b = 0; b < Batch; ++b) {
        for (std::size_t i = 0; i < L::in; ++i) {
          float g = 0;
          for (std::size_t o = 0; o < L::out; ++o) g += delta_[b][o] * layer.w[o][i];
          next_delta_[b][i] = g;
        }
        for (std::size_t i = 0; i < L::in; ++i) delta_[b][i] = next_delta_[b][i];
      }
      backward<I - 1>(x);
    }
  }

  template <std::size_t I>
  void update() noexcept {
    using L = std::tuple_element_t<I, layers>;
    L& layer = std::get<I>(net_);
    auto& s = std::get<I>(s_);
    update_buffer(&layer.w[0][0], &s.gw[0][0], &s.mw[0][0], &s.vw[0][0], L::out * L::in);
    update_buffer(layer.b, s.gb, s.mb, s.vb, L::out);
  }

  void update_buffer(float* p, const float* g, float* m, float* v, std::size_t n) noexcept {
    if constexpr (Opt == optimizer_kind::sgd) {
      for (std::size_t i = 0; i < n; ++i) p[i] -= lr_ * g[i];
    } else {
      using c = adam_constants;
      const c k(lr_, t_);
      for (std::size_t i = 0; i < n; ++i) {
        m[i] = c::beta1 * m[i] + c::rest1 * g[i];
        v[i] = c::beta2 * v[i] + c::rest2 * g[i] * g[i];
        p[i] -= k.step_size * (m[i] / (std::sqrt(v[i]) / k.correction2_sqrt + c::eps));
      }
    }
  }

  float lr_;
  std::uint64_t t_ = 0;
  layers net_{};
  typename states_of<layers>::type s_{};
  float delta_[Batch][widest]{};
  float next_delta_[Batch][widest]{};
};

}  // namespace bench::naive
