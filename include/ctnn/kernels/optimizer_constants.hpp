// ctnn/kernels/optimizer_constants.hpp - per-step constants of the fused update kernels.
//
// The optimizers (training/*.hpp) turn their options and step count into these once per step;
// the kernels (scalar.hpp, simd.hpp) then make one pass over each parameter buffer.
#pragma once

namespace ctnn::kernels {

/// torch.optim.SGD: momentum, dampening (keep = 1 - dampening), Nesterov, weight decay.
/// Without measure_update the kernel returns 0 instead of the update's squared norm: the
/// caller knows it (training/sgd.hpp).
template <class T>
struct sgd_constants {
  T learning_rate, momentum, keep, weight_decay;
  bool nesterov, first_step;
  bool measure_update = true;
};

/// torch.optim.RMSprop (rest = 1 - alpha).
template <class T>
struct rmsprop_constants {
  T learning_rate, alpha, rest, eps, weight_decay, momentum;
  bool centered;
};

/// torch.optim.Adam / AdamW: step_size = lr / (1 - beta1^t), inverse_correction2_sqrt =
/// 1 / sqrt(1 - beta2^t) (PyTorch divides by sqrt(1 - beta2^t); a multiplication by its inverse,
/// rounded once per step in double, takes one of three divisions and square roots per value off
/// an update that is bound by them),
/// decay = 1 - lr * weight_decay (AdamW).
template <class T>
struct adam_constants {
  T beta1, beta2, rest1, rest2, step_size, inverse_correction2_sqrt, eps, weight_decay, decay;
};

}  // namespace ctnn::kernels
