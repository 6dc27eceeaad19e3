// ctnn/training/losses.hpp - loss functions with PyTorch's definitions and 'mean' reduction.
//
// Each loss turns a batch of network outputs y (rows of `Stride` values, N used) and targets
// into the mean loss and dL/dy, written into `grad` with the padded lanes zeroed. The loss
// value is accumulated in double.
//
//   mean_squared_error       torch.nn.MSELoss:            mean over B*N of (y - t)^2
//   softmax_cross_entropy    torch.nn.CrossEntropyLoss:   mean over B of logsumexp(y) - y[label]
//   binary_cross_entropy     torch.nn.BCEWithLogitsLoss:  mean over B*N of
//                            max(y,0) - y t + log(1 + exp(-|y|))
// The last two take logits: the network must not end in softmax / sigmoid (a static_assert
// in ctnn::trainer says so).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../layers/softmax.hpp"
#include "../status.hpp"

namespace ctnn {

/// Mean squared error against real-valued targets (one array of N values per sample).
struct mean_squared_error {
  static constexpr const char* name = "mean_squared_error";
  static constexpr bool takes_logits = false;
  template <class T, std::size_t N>
  using target_type = std::array<T, N>;

  template <class T, std::size_t N>
  static status validate(const target_type<T, N>*, std::size_t) noexcept {
    return {};
  }

  template <std::size_t Batch, std::size_t N, std::size_t Stride, class T>
  static double evaluate(const T* y, const target_type<T, N>* targets, T* grad) noexcept {
    double sum = 0;
    const T scale = T(2.0 / double(Batch * N));
    for (std::size_t b = 0; b < Batch; ++b) {
      for (std::size_t i = 0; i < N; ++i) {
        const T diff = y[b * Stride + i] - targets[b][i];
        sum += double(diff) * double(diff);
        grad[b * Stride + i] = scale * diff;
      }
      for (std::size_t i = N; i < Stride; ++i) grad[b * Stride + i] = T(0);
    }
    return sum / double(Batch * N);
  }
};

/// Softmax cross-entropy from logits against integer class labels, fused and stable:
/// loss = logsumexp(y) - y[label], dL/dy = (softmax(y) - onehot(label)) / B.
struct softmax_cross_entropy {
  static constexpr const char* name = "softmax_cross_entropy";
  static constexpr bool takes_logits = true;
  template <class T, std::size_t N>
  using target_type = std::uint32_t;

  template <class T, std::size_t N>
  static status validate(const target_type<T, N>* labels, std::size_t batch) noexcept {
    for (std::size_t b = 0; b < batch; ++b)
      if (labels[b] >= N)
        return status::error(status_code::label_out_of_range)
               << "label " << labels[b] << " at batch row " << b << " is out of range [0, " << N << ")";
    return {};
  }

  template <std::size_t Batch, std::size_t N, std::size_t Stride, class T>
  static double evaluate(const T* y, const target_type<T, N>* labels, T* grad) noexcept {
    double sum = 0;
    const T inv_batch = T(1.0 / double(Batch));
    for (std::size_t b = 0; b < Batch; ++b) {
      const T* row = y + b * Stride;
      T* g = grad + b * Stride;
      T max;
      const T total = shifted_exponentials(row, g, N, max);
      const T log_total = std::log(total);
      sum += double(log_total) + double(max) - double(row[labels[b]]);
      const T scale = inv_batch / total;
      for (std::size_t i = 0; i < N; ++i) g[i] *= scale;
      g[labels[b]] -= inv_batch;
      for (std::size_t i = N; i < Stride; ++i) g[i] = T(0);
    }
    return sum / double(Batch);
  }
};

/// Binary cross-entropy from logits against targets in [0, 1], one per output:
/// dL/dy = (sigmoid(y) - t) / (B N).
struct binary_cross_entropy {
  static constexpr const char* name = "binary_cross_entropy";
  static constexpr bool takes_logits = true;
  template <class T, std::size_t N>
  using target_type = std::array<T, N>;

  template <class T, std::size_t N>
  static status validate(const target_type<T, N>* targets, std::size_t batch) noexcept {
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t i = 0; i < N; ++i)
        if (!(targets[b][i] >= T(0) && targets[b][i] <= T(1)))
          return status::error(status_code::invalid_argument)
                 << "binary_cross_entropy target " << double(targets[b][i]) << " at batch row " << b
                 << ", output " << i << " is outside [0, 1]";
    return {};
  }

  template <std::size_t Batch, std::size_t N, std::size_t Stride, class T>
  static double evaluate(const T* y, const target_type<T, N>* targets, T* grad) noexcept {
    double sum = 0;
    const T scale = T(1.0 / double(Batch * N));
    for (std::size_t b = 0; b < Batch; ++b) {
      for (std::size_t i = 0; i < N; ++i) {
        const T z = y[b * Stride + i], t = targets[b][i];
        const T e = std::exp(-std::abs(z));
        sum += double((z > T(0) ? z : T(0)) - z * t + std::log1p(e));
        const T sig = z >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
        grad[b * Stride + i] = scale * (sig - t);
      }
      for (std::size_t i = N; i < Stride; ++i) grad[b * Stride + i] = T(0);
    }
    return sum / double(Batch * N);
  }
};

}  // namespace ctnn
