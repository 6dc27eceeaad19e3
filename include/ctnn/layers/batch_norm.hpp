// ctnn/layers/batch_norm.hpp - batch normalization, torch.nn.BatchNorm1d's definition.
//
// Training (through ctnn::trainer): each feature is normalized with the mean and the biased
// variance of the mini-batch, y = gamma * (x - mean) / sqrt(var + eps) + beta, and the running
// statistics move towards the batch's: running = (1 - momentum) * running + momentum * batch,
// with the unbiased variance (n / (n - 1)) for the running variance. Inference (net(x)) uses
// the running statistics. The running statistics are updated only when the trainer's step is
// accepted, so a refused step leaves them as they were.
//
// The batch statistics and the normalized inputs x_hat live in the trainer (training_state);
// the layer holds gamma, beta and the running statistics (canonical order in that sequence).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../config.hpp"
#include "../rng.hpp"
#include "layer_kind.hpp"

namespace ctnn {

template <class T, std::size_t N, class Spec>
struct batch_norm_layer {
  using value_type = T;
  using spec = Spec;
  static constexpr layer_kind kind = layer_kind::batch_norm;
  static constexpr const char* name = "batch_norm";
  static constexpr std::size_t in_size = N;
  static constexpr std::size_t out_size = N;
  static constexpr std::size_t out_stride = padded<T>(N);
  static constexpr std::size_t parameter_count = 4 * N;
  static constexpr bool accepts_unpadded_input = false;
  static constexpr std::size_t buffer_count = 2;  // gamma, beta: trainable; running statistics are not
  static constexpr double epsilon = Spec::epsilon;
  static constexpr double momentum = Spec::momentum;

  alignas(simd_alignment<T>) std::array<T, out_stride> gamma{};
  alignas(simd_alignment<T>) std::array<T, out_stride> beta{};
  alignas(simd_alignment<T>) std::array<T, out_stride> running_mean{};
  alignas(simd_alignment<T>) std::array<T, out_stride> running_var{};

  /// What a training step keeps for the backward pass and the running-statistics update.
  template <std::size_t Batch>
  struct training_state {
    static_assert(Batch > 1,
                  "ctnn::batch_norm: training needs a batch of at least 2 samples (the variance of one sample is "
                  "zero); use a larger Batch in ctnn::trainer");
    alignas(simd_alignment<T>) std::array<T, out_stride> batch_mean{};
    alignas(simd_alignment<T>) std::array<T, out_stride> batch_var{};
    alignas(simd_alignment<T>) std::array<T, out_stride> inv_std{};
    alignas(simd_alignment<T>) std::array<T, Batch * out_stride> x_hat{};
  };

  /// Inference: the running statistics.
  template <std::size_t Batch, std::size_t XStride>
  void forward(const T* x, T* y) const noexcept {
    static_assert(XStride == out_stride, "batch_norm_layer: input rows must be padded");
    std::array<T, out_stride> scale{}, shift{};
    for (std::size_t j = 0; j < N; ++j) {
      scale[j] = gamma[j] / std::sqrt(running_var[j] + T(epsilon));
      shift[j] = beta[j] - running_mean[j] * scale[j];
    }
    for (std::size_t b = 0; b < Batch; ++b)
      for (std::size_t j = 0; j < out_stride; ++j) y[b * out_stride + j] = x[b * out_stride + j] * scale[j] + shift[j];
  }

  /// Training: the batch statistics, kept in `state`.
  template <std::size_t Batch, std::size_t XStride>
  void forward_train(const T* x, T* y, training_state<Batch>& state) const noexcept {
    for (std::size_t j = 0; j < N; ++j) {
      T mean = 0;
      for (std::size_t b = 0; b < Batch; ++b) mean += x[b * out_stride + j];
      mean /= T(Batch);
      T var = 0;
      for (std::size_t b = 0; b < Batch; ++b) {
        const T d = x[b * out_stride + j] - mean;
        var += d * d;
      }
      var /= T(Batch);
      const T inv_std = T(1) / std::sqrt(var + T(epsilon));
      state.batch_mean[j] = mean, state.batch_var[j] = var, state.inv_std[j] = inv_std;
      for (std::size_t b = 0; b < Batch; ++b) {
        const T x_hat = (x[b * out_stride + j] - mean) * inv_std;
        state.x_hat[b * out_stride + j] = x_hat;
        y[b * out_stride + j] = gamma[j] * x_hat + beta[j];
      }
    }
    for (std::size_t b = 0; b < Batch; ++b)
      for (std::size_t j = N; j < out_stride; ++j) y[b * out_stride + j] = T(0);
  }

  /// dgamma = sum dy x_hat, dbeta = sum dy,
  /// dx = gamma inv_std / B * (B dy - dbeta - x_hat dgamma).
  template <std::size_t Batch, std::size_t XStride, bool WithInputGradient>
  void backward(const T*, const T*, T* dy, T* dx, batch_norm_layer& grad, const training_state<Batch>& state) const noexcept {
    for (std::size_t j = 0; j < N; ++j) {
      T dgamma = 0, dbeta = 0;
      for (std::size_t b = 0; b < Batch; ++b) {
        dgamma += dy[b * out_stride + j] * state.x_hat[b * out_stride + j];
        dbeta += dy[b * out_stride + j];
      }
      grad.gamma[j] = dgamma, grad.beta[j] = dbeta;
      if constexpr (WithInputGradient) {
        const T scale = gamma[j] * state.inv_std[j] / T(Batch);
        for (std::size_t b = 0; b < Batch; ++b)
          dx[b * XStride + j] = scale * (T(Batch) * dy[b * out_stride + j] - dbeta - state.x_hat[b * out_stride + j] * dgamma);
      }
    }
    if constexpr (WithInputGradient)
      for (std::size_t b = 0; b < Batch; ++b)
        for (std::size_t j = N; j < XStride; ++j) dx[b * XStride + j] = T(0);
  }

  /// After an accepted step: move the running statistics towards the batch's.
  template <std::size_t Batch>
  void commit(const training_state<Batch>& state) noexcept {
    const T m = T(momentum), keep = T(1.0 - momentum), unbias = T(double(Batch) / double(Batch - 1));
    for (std::size_t j = 0; j < N; ++j) {
      running_mean[j] = keep * running_mean[j] + m * state.batch_mean[j];
      running_var[j] = keep * running_var[j] + m * state.batch_var[j] * unbias;
    }
  }

  std::span<T> buffer(std::size_t k) noexcept { return k == 0 ? std::span<T>(gamma) : std::span<T>(beta); }

  /// Canonical order: gamma, beta, running mean, running variance (PyTorch's state_dict).
  template <class Self, class F>
  static constexpr void visit_parameters(Self& self, F&& f) {
    for (std::size_t j = 0; j < N; ++j) f(self.gamma[j]);
    for (std::size_t j = 0; j < N; ++j) f(self.beta[j]);
    for (std::size_t j = 0; j < N; ++j) f(self.running_mean[j]);
    for (std::size_t j = 0; j < N; ++j) f(self.running_var[j]);
  }

  /// gamma = 1, beta = 0, running mean 0, running variance 1 (PyTorch's reset_parameters).
  void initialize(rng&) noexcept {
    for (std::size_t j = 0; j < N; ++j) gamma[j] = T(1), beta[j] = T(0), running_mean[j] = T(0), running_var[j] = T(1);
  }

  /// The weight-file test-vector check, evaluating from streamed canonical values.
  template <class Reader>
  static void evaluate_streamed(Reader& in, const double* x, double* y) noexcept {
    for (std::size_t j = 0; j < N; ++j) y[j] = double(in.next());  // gamma
    double beta_values[N];
    for (std::size_t j = 0; j < N; ++j) beta_values[j] = double(in.next());
    double mean[N];
    for (std::size_t j = 0; j < N; ++j) mean[j] = double(in.next());
    for (std::size_t j = 0; j < N; ++j)
      y[j] = y[j] * (x[j] - mean[j]) / std::sqrt(double(in.next()) + double(T(epsilon))) + beta_values[j];
  }
};

/// Layer spec: batch normalization with eps = EpsNum/EpsDen and momentum = MomNum/MomDen.
template <std::intmax_t EpsNum, std::intmax_t EpsDen, std::intmax_t MomNum, std::intmax_t MomDen>
struct basic_batch_norm {
  static_assert(EpsNum > 0 && EpsDen > 0, "ctnn::basic_batch_norm: eps must be positive");
  static_assert(MomNum >= 0 && MomDen > 0 && MomNum <= MomDen, "ctnn::basic_batch_norm: momentum must be in [0, 1]");
  static constexpr double epsilon = double(EpsNum) / double(EpsDen);
  static constexpr double momentum = double(MomNum) / double(MomDen);
  template <class T, std::size_t In>
  using resolve = batch_norm_layer<T, In, basic_batch_norm>;
};

/// PyTorch's defaults: eps = 1e-5, momentum = 0.1.
using batch_norm = basic_batch_norm<1, 100000, 1, 10>;

}  // namespace ctnn
