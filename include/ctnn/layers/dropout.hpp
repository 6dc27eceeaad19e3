// ctnn/layers/dropout.hpp - inverted dropout.
//
// Training (through ctnn::trainer): each unit is kept with probability 1 - p and scaled by
// 1 / (1 - p), or zeroed, so the expected output equals the input; inference (net(x)) is the
// identity. The masks come from ctnn::rng, seeded by the trainer's training_options::seed and
// the layer's position: one seed gives the same masks on every compiler and target. A batch's
// mask is kept in the trainer (training_state) for the backward pass; the generator moves on
// only when a step is accepted, so compute_gradients() called twice sees the same mask (which
// is what a finite-difference check needs).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "../config.hpp"
#include "../rng.hpp"
#include "layer_kind.hpp"

namespace ctnn {

template <class T, std::size_t N, class Spec>
struct dropout_layer {
  using value_type = T;
  using spec = Spec;
  static constexpr layer_kind kind = layer_kind::dropout;
  static constexpr const char* name = "dropout";
  static constexpr std::size_t in_size = N;
  static constexpr std::size_t out_size = N;
  static constexpr std::size_t out_stride = padded<T>(N);
  static constexpr std::size_t parameter_count = 0;
  static constexpr bool accepts_unpadded_input = false;
  static constexpr std::size_t buffer_count = 0;
  static constexpr double probability = Spec::probability;

  template <std::size_t Batch>
  struct training_state {
    rng generator{};       ///< draws the next accepted step's mask
    rng after_batch{};     ///< the generator after this batch's draws, adopted by commit()
    alignas(simd_alignment<T>) std::array<T, Batch * out_stride> mask{};  ///< 0 or 1 / (1 - p)
    /// Called by the trainer with its seed and this layer's index.
    void seed(std::uint64_t seed, std::uint64_t layer_index) noexcept { generator = rng{seed, layer_index}; }
  };

  /// Inference: the identity.
  template <std::size_t Batch, std::size_t XStride>
  void forward(const T* x, T* y) const noexcept {
    static_assert(XStride == out_stride, "dropout_layer: input rows must be padded");
    std::memcpy(y, x, Batch * out_stride * sizeof(T));
  }

  /// Training: y = x * mask, a fresh mask per batch drawn from the state's generator.
  template <std::size_t Batch, std::size_t XStride>
  void forward_train(const T* x, T* y, training_state<Batch>& state) const noexcept {
    const T scale = T(1.0 / (1.0 - probability));
    const float p = float(probability);
    rng g = state.generator;
    for (std::size_t b = 0; b < Batch; ++b)
      for (std::size_t j = 0; j < out_stride; ++j) {
        const std::size_t k = b * out_stride + j;
        state.mask[k] = j < N && g.uniform() >= p ? scale : T(0);
        y[k] = x[k] * state.mask[k];
      }
    state.after_batch = g;
  }

  /// dx = dy * mask.
  template <std::size_t Batch, std::size_t XStride, bool WithInputGradient>
  void backward(const T*, const T*, T* dy, T* dx, dropout_layer&, const training_state<Batch>& state) const noexcept {
    if constexpr (WithInputGradient)
      for (std::size_t k = 0; k < Batch * out_stride; ++k) dx[k] = dy[k] * state.mask[k];
  }

  /// After an accepted step: the next batch gets the next masks.
  template <std::size_t Batch>
  void commit(training_state<Batch>& state) noexcept {
    state.generator = state.after_batch;
  }

  std::span<T> buffer(std::size_t) noexcept { return {}; }
  template <class Self, class F>
  static constexpr void visit_parameters(Self&, F&&) {}
  void initialize(rng&) noexcept {}

  /// The weight-file test-vector check: the identity, as in inference.
  template <class Reader>
  static void evaluate_streamed(Reader&, const double* x, double* y) noexcept {
    for (std::size_t j = 0; j < N; ++j) y[j] = x[j];
  }
};

/// Layer spec: inverted dropout with probability p = Num / Den of zeroing a unit
/// (dropout<1, 2> is PyTorch's default nn.Dropout(0.5)).
template <std::intmax_t Num = 1, std::intmax_t Den = 2>
struct dropout {
  static_assert(Num >= 0 && Den > 0 && Num < Den, "ctnn::dropout<Num, Den>: the probability Num/Den must be in [0, 1)");
  static constexpr double probability = double(Num) / double(Den);
  template <class T, std::size_t In>
  using resolve = dropout_layer<T, In, dropout>;
};

}  // namespace ctnn
