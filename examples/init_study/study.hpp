// The initialization study: how gradients flow through deep networks depending on the
// activation, the initializer and batch normalization (examples/init_study, and asserted by
// tests/init_study_test.cpp).
//
// Networks: 64 inputs, `depth` hidden blocks of [dense<64>, (batch_norm,) activation], and a
// dense<10> output; the residual variant wraps each hidden layer in a skip connection,
// residual<dense<64, activation>>, so that every block computes x + act(W x + b). Task: 10-class classification of Gaussian inputs labelled by a fixed random
// linear "teacher" (learnable, so the loss after a budget says whether training works).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <ctnn/ctnn.hpp>

namespace init_study {

inline constexpr std::size_t width = 64, classes = 10, batch = 64;
/// Hidden layers of the plain study, and of the study with skip connections.
inline constexpr std::size_t depth = 20, residual_depth = 32;

/// The initializers compared (the weight scheme; biases start at zero).
enum class init_kind { uniform, xavier, he, orthogonal };
inline constexpr init_kind all_inits[] = {init_kind::uniform, init_kind::xavier, init_kind::he, init_kind::orthogonal};
inline const char* name(init_kind k) {
  switch (k) {
    case init_kind::uniform: return "uniform";
    case init_kind::xavier: return "xavier";
    case init_kind::he: return "he";
    case init_kind::orthogonal: return "orthogonal";
  }
  return "?";
}

template <class... Ts>
struct list {};
template <class A, class B>
struct concat;
template <class... A, class... B>
struct concat<list<A...>, list<B...>> {
  using type = list<A..., B...>;
};
template <class Acc, class Block, std::size_t N>
struct repeat {
  using type = typename repeat<typename concat<Acc, Block>::type, Block, N - 1>::type;
};
template <class Acc, class Block>
struct repeat<Acc, Block, 0> {
  using type = Acc;
};
template <class Specs>
struct make_network;
template <class... Specs>
struct make_network<list<Specs...>> {
  using type = ctnn::network<ctnn::input<width>, Specs..., ctnn::dense<classes>>;
};

/// `Depth` blocks of dense<64>, optional batch norm, activation; then dense<10> logits.
template <class Act, bool BatchNorm, std::size_t Depth>
using deep_network = typename make_network<typename repeat<
    list<>, std::conditional_t<BatchNorm, list<ctnn::dense<width>, ctnn::batch_norm, Act>, list<ctnn::dense<width>, Act>>,
    Depth>::type>::type;

/// `Depth` residual blocks x + act(W x + b), then dense<10> logits.
template <class Act, std::size_t Depth>
using residual_network =
    typename make_network<typename repeat<list<>, list<ctnn::residual<ctnn::dense<width, Act>>>, Depth>::type>::type;

/// Calls f on every dense layer of net, inside residual blocks too.
template <class Net, class F>
void for_each_dense(Net& net, F&& f) {
  net.for_each_layer([&](auto& layer) {
    using L = std::remove_cvref_t<decltype(layer)>;
    if constexpr (L::kind == ctnn::layer_kind::dense) f(layer);
    if constexpr (L::kind == ctnn::layer_kind::residual) for_each_dense(layer.body, f);
  });
}

/// Draws every dense layer's weights with `kind` (PyTorch's nn.Linear default for uniform:
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), here fan_in = 64); biases zero.
template <class Act, class Net>
void initialize(Net& net, init_kind kind, std::uint64_t seed) {
  ctnn::rng g{seed};
  net.initialize(g);  // batch norm: gamma 1, beta 0, running statistics
  for_each_dense(net, [&](auto& layer) {
    constexpr std::size_t in = std::remove_cvref_t<decltype(layer)>::in_size,
                          out = std::remove_cvref_t<decltype(layer)>::out_size;
    auto w = [&](std::size_t o, std::size_t i) -> float& { return layer.weight(o, i); };
    switch (kind) {
      case init_kind::uniform: ctnn::init::uniform<1, 8>::fill<Act>(w, out, in, in, out, g); break;
      case init_kind::xavier: ctnn::init::xavier_uniform<>::fill<Act>(w, out, in, in, out, g); break;
      case init_kind::he: ctnn::init::he_uniform<>::fill<ctnn::relu>(w, out, in, in, out, g); break;
      case init_kind::orthogonal: ctnn::init::orthogonal<>::fill<Act>(w, out, in, in, out, g); break;
    }
    for (std::size_t o = 0; o < out; ++o) layer.bias()[o] = 0;
  });
}

/// The synthetic task: x ~ N(0, 1)^64, label = argmax of a fixed random linear map.
class task {
 public:
  explicit task(std::uint64_t seed) : rng_(seed) {
    ctnn::rng teacher{seed ^ 0x5eed};
    for (auto& row : teacher_)
      for (auto& v : row) v = float(teacher.normal());
  }
  void next(std::array<std::array<float, width>, batch>& x, std::array<std::uint32_t, batch>& y) {
    for (std::size_t b = 0; b < batch; ++b) {
      for (auto& v : x[b]) v = float(rng_.normal());
      float best = -1e30f;
      for (std::uint32_t c = 0; c < classes; ++c) {
        float score = 0;
        for (std::size_t i = 0; i < width; ++i) score += teacher_[c][i] * x[b][i];
        if (score > best) best = score, y[b] = c;
      }
    }
  }

 private:
  ctnn::rng rng_;
  std::array<std::array<float, width>, classes> teacher_{};
};

/// What one configuration measured.
struct result {
  std::vector<double> gradient_norms;  ///< per dense layer, first to last, at the first batch
  double loss_start = 0, loss_end = 0;  ///< mean loss of the first / last 20 steps of the budget
};

/// Gradient norms at initialization (per dense layer, or per residual block: one dense layer
/// each) and the loss after `steps` Adam steps.
template <class Act, class net_t>
result run_network(init_kind kind, std::size_t steps, std::uint64_t seed = 1) {
  using trainer_t = ctnn::trainer<net_t, ctnn::softmax_cross_entropy, ctnn::adam, batch>;
  auto net = std::make_unique<net_t>();
  auto trainer = std::make_unique<trainer_t>(ctnn::adam::options{.learning_rate = 1e-3f});
  initialize<Act>(*net, kind, seed);
  task data(seed + 1);
  auto x = std::make_unique<std::array<std::array<float, width>, batch>>();
  std::array<std::uint32_t, batch> y{};
  result r;
  data.next(*x, y);
  (void)trainer->compute_gradients(*net, *x, y);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((net_t::template layer_type<I>::kind == ctnn::layer_kind::dense ||
              net_t::template layer_type<I>::kind == ctnn::layer_kind::residual
          ? r.gradient_norms.push_back(std::sqrt(trainer->gradient_squared_norms()[I]))
          : void()),
     ...);
  }(std::make_index_sequence<net_t::layer_count>{});
  const std::size_t window = steps < 40 ? steps / 2 : 20;
  for (std::size_t s = 0; s < steps && window > 0; ++s) {
    if (s > 0) data.next(*x, y);
    const auto report = trainer->step(*net, *x, y);
    const double loss = report.ok() ? report.loss : std::nan("");
    if (s < window) r.loss_start += loss / double(window);
    if (s + window >= steps) r.loss_end += loss / double(window);
  }
  return r;
}

/// The plain network of `Depth` hidden layers, with or without batch normalization.
template <class Act, bool BatchNorm, std::size_t Depth>
result run(init_kind kind, std::size_t steps, std::uint64_t seed = 1) {
  return run_network<Act, deep_network<Act, BatchNorm, Depth>>(kind, steps, seed);
}

/// The residual network of `Depth` blocks.
template <class Act, std::size_t Depth>
result run_residual(init_kind kind, std::size_t steps, std::uint64_t seed = 1) {
  return run_network<Act, residual_network<Act, Depth>>(kind, steps, seed);
}

/// The configurations examples/init_study and tests/init_study_test.cpp run, compiled once in
/// study.cpp: each deep trainer is seconds of compile time, and compiling them into both
/// executables cost the native test build 118 s of compiler time.
#define INIT_STUDY_INSTANCES_OF(PREFIX, Act)                                                  \
  PREFIX template result run<Act, false, depth>(init_kind, std::size_t, std::uint64_t);          \
  PREFIX template result run<Act, true, depth>(init_kind, std::size_t, std::uint64_t);           \
  PREFIX template result run<Act, false, residual_depth>(init_kind, std::size_t, std::uint64_t); \
  PREFIX template result run_residual<Act, residual_depth>(init_kind, std::size_t, std::uint64_t);
#define INIT_STUDY_INSTANCES(PREFIX)                \
  INIT_STUDY_INSTANCES_OF(PREFIX, ctnn::sigmoid)    \
  INIT_STUDY_INSTANCES_OF(PREFIX, ctnn::tanh)       \
  INIT_STUDY_INSTANCES_OF(PREFIX, ctnn::relu)
INIT_STUDY_INSTANCES(extern)

}  // namespace init_study
