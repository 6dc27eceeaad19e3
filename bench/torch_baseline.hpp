// bench/torch_baseline.hpp - the `libtorch` rows, behind a plain interface.
//
// libtorch's headers cost ~25 s to compile, so the baseline lives in its own translation unit
// (torch_baseline.cpp), built only when Meson finds Debian's libtorch-dev. Debian's libtorch is
// built against the reference BLAS: its GEMM-bound figures (batched training) are real but not
// the best PyTorch can do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common.hpp"

namespace bench::torch_baseline {

/// One line on how this libtorch was built (BLAS, threads), for the benchmark's context.
const char* build_note();

/// torch::nn::Sequential of Linear + activation modules, run under c10::InferenceMode on one
/// thread. infer() reads the input in place (from_blob) and copies the output out.
class inference {
 public:
  explicit inference(const std::vector<dense_params>& layers);
  ~inference();
  void infer(const float* x, float* y);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// model->forward, the loss (torch::nn::functional::cross_entropy / mse_loss, mean),
/// zero_grad, backward, optimizer.step() (torch::optim::Adam with defaults / SGD).
class training {
 public:
  training(const std::vector<dense_params>& layers, loss_kind loss, optimizer_kind optimizer, float learning_rate,
           std::size_t batch);
  ~training();
  /// x: batch rows of inputs; labels (cross-entropy) or targets (MSE, batch rows of outputs).
  double step(const float* x, const std::uint32_t* labels, const float* targets);
  std::vector<dense_params> parameters() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace bench::torch_baseline
