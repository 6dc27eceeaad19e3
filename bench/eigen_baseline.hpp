// bench/eigen_baseline.hpp - the `eigen` rows: the reference networks written by hand with
// Eigen 3.4 fixed-size matrices, as a strong Eigen user would.
//
// Inference: a layer is W (Out x In, fixed size) and b; one call is h = b; h += W x (noalias, so
// Eigen's GEMV writes straight into h) then the activation as an array expression (Eigen's
// vectorized tanh, cwiseMax for ReLU). Two choices matter and are template parameters, picked
// per network from measurement (ctnn_bench --eigen_variants prints all four):
//   * storage order: column-major W makes the GEMV an axpy per input (broadcast-FMA, what ctnn
//     does); row-major W makes it a dot product per output;
//   * lazyProduct: Eigen's coefficient-based product, fully unrolled for small fixed sizes,
//     instead of its blocked GEMV kernel, whose set-up costs more than a 16 x 4 product.
//
// Training: the idiomatic Eigen mini-batch loop. Samples are columns (X: In x Batch, the input
// rows of the benchmark read in place through a Map), Z = W X + b, the loss gradient, then
// dW = dZ X^T, db = row sums of dZ, dX = W^T dZ, and Adam/SGD as array expressions. Same
// math as ctnn::trainer (mean reduction, torch.optim's Adam).
#pragma once

// The L and W layers (400 KB, 256 KB) are fixed-size matrices too: lift Eigen's 128 KB
// stack-object limit; the objects themselves live on the heap.
#ifndef EIGEN_STACK_ALLOCATION_LIMIT
#define EIGEN_STACK_ALLOCATION_LIMIT 0
#endif
#include <Eigen/Core>

#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "common.hpp"

namespace bench::eigen {

/// How a layer multiplies: storage order of W and whether to use lazyProduct.
struct product_style {
  bool row_major = false;
  bool lazy = false;
};

template <ctnn::activation_kind A, class M>
inline void activate(M& m) noexcept {
  if constexpr (A == ctnn::activation_kind::relu) m = m.cwiseMax(0.0f);
  else if constexpr (A == ctnn::activation_kind::tanh) m = m.array().tanh().matrix();
  else if constexpr (A == ctnn::activation_kind::sigmoid) m = m.array().logistic().matrix();
}

/// dZ *= act'(y), act' written from the output y.
template <ctnn::activation_kind A, class M, class Y>
inline void multiply_by_derivative(M& dz, const Y& y) noexcept {
  if constexpr (A == ctnn::activation_kind::relu) dz.array() *= (y.array() > 0.0f).template cast<float>();
  else if constexpr (A == ctnn::activation_kind::tanh) dz.array() *= 1.0f - y.array().square();
  else if constexpr (A == ctnn::activation_kind::sigmoid) dz.array() *= y.array() * (1.0f - y.array());
}

template <std::size_t In, std::size_t Out, ctnn::activation_kind A, product_style P>
struct dense {
  static constexpr int in = int(In), out = int(Out);
  static constexpr ctnn::activation_kind act = A;
  // A single column or row must have the storage order Eigen requires of a vector.
  static constexpr int order = In == 1 ? Eigen::ColMajor : (Out == 1 || P.row_major) ? Eigen::RowMajor : Eigen::ColMajor;
  using weights = Eigen::Matrix<float, out, in, order>;
  using column = Eigen::Matrix<float, out, 1>;

  weights w;
  column b;

  void set(const dense_params& p) {
    for (int o = 0; o < out; ++o) {
      for (int i = 0; i < in; ++i) w(o, i) = p.w[std::size_t(o) * In + std::size_t(i)];
      b(o) = p.b[std::size_t(o)];
    }
  }
  void get(dense_params& p) const {
    for (int o = 0; o < out; ++o) {
      for (int i = 0; i < in; ++i) p.w[std::size_t(o) * In + std::size_t(i)] = w(o, i);
      p.b[std::size_t(o)] = b(o);
    }
  }

  /// y = act(W x + b) for one sample.
  template <class X>
  EIGEN_STRONG_INLINE void forward(const X& x, column& y) const noexcept {
    if constexpr (P.lazy) {
      y.noalias() = w.lazyProduct(x) + b;
    } else {
      y = b;
      y.noalias() += w * x;
    }
    activate<A>(y);
  }
};

template <class Net, product_style P, class = std::make_index_sequence<Net::layer_count>>
struct layers_of;
template <class Net, product_style P, std::size_t... I>
struct layers_of<Net, P, std::index_sequence<I...>> {
  using type = std::tuple<dense<layer_shape<Net, I>::in, layer_shape<Net, I>::out, layer_shape<Net, I>::act, P>...>;
};

/// Batch-1 inference.
template <class Net, product_style P>
class network {
 public:
  using layers = typename layers_of<Net, P>::type;
  static constexpr std::size_t layer_count = Net::layer_count;

  explicit network(const std::vector<dense_params>& p) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (std::get<I>(layers_).set(p[I]), ...); }(
        std::make_index_sequence<layer_count>{});
  }

  void infer(const float* x, float* y) const noexcept {
    using first = std::tuple_element_t<0, layers>;
    run<0>(Eigen::Map<const Eigen::Matrix<float, first::in, 1>>(x), y);
  }

 private:
  template <std::size_t I, class X>
  EIGEN_STRONG_INLINE void run(const X& x, float* y) const noexcept {
    using L = std::tuple_element_t<I, layers>;
    typename L::column h;
    std::get<I>(layers_).forward(x, h);
    if constexpr (I + 1 < layer_count)
      run<I + 1>(h, y);
    else
      Eigen::Map<typename L::column>{y} = h;
  }

  layers layers_;
};

/// The idiomatic mini-batch training loop (samples are columns).
template <class Net, loss_kind Loss, optimizer_kind Opt, std::size_t Batch, product_style P>
class trainer {
  using layers = typename layers_of<Net, P>::type;
  static constexpr std::size_t layer_count = Net::layer_count;
  static constexpr int batch = int(Batch);

  template <class L>
  struct state {
    using weights = typename L::weights;
    using column = typename L::column;
    using rows = Eigen::Matrix<float, L::out, batch>;
    weights gw, mw = weights::Zero(), vw = weights::Zero();
    column gb, mb = column::Zero(), vb = column::Zero();
    rows a;   // layer output
    rows dz;  // dL/d(pre-activation), first dL/d(output)
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

  /// x: Batch contiguous rows of Net::input_size values (columns of X). Returns the mean loss.
  double step(const float* x, const target_type* targets) noexcept {
    using first = std::tuple_element_t<0, layers>;
    const Eigen::Map<const Eigen::Matrix<float, first::in, batch>> X(x);
    [&]<std::size_t... I>(std::index_sequence<I...>) { (forward<I>(X), ...); }(std::make_index_sequence<layer_count>{});
    const double loss = loss_and_gradient(targets);
    backward<layer_count - 1>(X);
    ++t_;
    [&]<std::size_t... I>(std::index_sequence<I...>) { (update<I>(), ...); }(std::make_index_sequence<layer_count>{});
    return loss;
  }

 private:
  template <std::size_t I, class X>
  const auto& input_of(const X& x) const noexcept {
    if constexpr (I == 0) return x;
    else return std::get<I - 1>(s_).a;
  }

  template <class D, class A, class B>
  static EIGEN_STRONG_INLINE void product(D& dst, const A& a, const B& b) noexcept {
    if constexpr (P.lazy) dst.noalias() = a.lazyProduct(b);
    else dst.noalias() = a * b;
  }

  template <std::size_t I, class X>
  void forward(const X& x) noexcept {
    using L = std::tuple_element_t<I, layers>;
    const L& layer = std::get<I>(net_);
    auto& s = std::get<I>(s_);
    product(s.a, layer.w, input_of<I>(x));
    s.a.colwise() += layer.b;
    activate<L::act>(s.a);
  }

  double loss_and_gradient(const target_type* targets) noexcept {
    auto& s = std::get<layer_count - 1>(s_);
    const auto& z = s.a;
    if constexpr (Loss == loss_kind::softmax_cross_entropy) {
      const Eigen::Matrix<float, 1, batch> max = z.colwise().maxCoeff();
      s.dz = (z.rowwise() - max).array().exp().matrix();
      const Eigen::Matrix<float, 1, batch> total = s.dz.colwise().sum();
      double sum = 0;
      for (int b = 0; b < batch; ++b) sum += double(std::log(total(b))) + double(max(b)) - double(z(int(targets[b]), b));
      s.dz.array().rowwise() /= total.array() * float(Batch);
      for (int b = 0; b < batch; ++b) s.dz(int(targets[b]), b) -= 1.0f / float(Batch);
      return sum / double(Batch);
    } else {
      const Eigen::Map<const Eigen::Matrix<float, int(out_size), batch>> t(targets->data());
      s.dz = z - t;
      const double sum = double(s.dz.squaredNorm());
      s.dz *= 2.0f / float(Batch * out_size);
      return sum / double(Batch * out_size);
    }
  }

  template <std::size_t I, class X>
  void backward(const X& x) noexcept {
    using L = std::tuple_element_t<I, layers>;
    const L& layer = std::get<I>(net_);
    auto& s = std::get<I>(s_);
    multiply_by_derivative<L::act>(s.dz, s.a);
    product(s.gw, s.dz, input_of<I>(x).transpose());
    s.gb = s.dz.rowwise().sum();
    if constexpr (I > 0) {
      product(std::get<I - 1>(s_).dz, layer.w.transpose(), s.dz);
      backward<I - 1>(x);
    }
  }

  template <std::size_t I>
  void update() noexcept {
    update_buffer(std::get<I>(net_).w, std::get<I>(s_).gw, std::get<I>(s_).mw, std::get<I>(s_).vw);
    update_buffer(std::get<I>(net_).b, std::get<I>(s_).gb, std::get<I>(s_).mb, std::get<I>(s_).vb);
  }

  template <class M>
  void update_buffer(M& p, const M& g, M& m, M& v) noexcept {
    if constexpr (Opt == optimizer_kind::sgd) {
      p -= lr_ * g;
    } else {
      using c = adam_constants;
      const c k(lr_, t_);
      m = c::beta1 * m + c::rest1 * g;
      v = c::beta2 * v.array() + c::rest2 * g.array().square();
      p.array() -= k.step_size * (m.array() / (v.array().sqrt() / k.correction2_sqrt + c::eps));
    }
  }

  float lr_;
  std::uint64_t t_ = 0;
  layers net_;
  typename states_of<layers>::type s_;
};

}  // namespace bench::eigen
