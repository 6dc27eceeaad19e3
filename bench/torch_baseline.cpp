// bench/torch_baseline.cpp - see torch_baseline.hpp.
#include "torch_baseline.hpp"

#include <torch/torch.h>

#include <stdexcept>

namespace bench::torch_baseline {

namespace {

torch::nn::Sequential make_model(const std::vector<dense_params>& layers) {
  torch::nn::Sequential model;
  for (const dense_params& p : layers) {
    torch::nn::Linear linear(torch::nn::LinearOptions(std::int64_t(p.in), std::int64_t(p.out)));
    {
      torch::NoGradGuard no_grad;
      linear->weight.copy_(torch::from_blob(const_cast<float*>(p.w.data()), {std::int64_t(p.out), std::int64_t(p.in)}));
      linear->bias.copy_(torch::from_blob(const_cast<float*>(p.b.data()), {std::int64_t(p.out)}));
    }
    model->push_back(linear);
    switch (p.act) {
      case ctnn::activation_kind::relu: model->push_back(torch::nn::ReLU()); break;
      case ctnn::activation_kind::tanh: model->push_back(torch::nn::Tanh()); break;
      case ctnn::activation_kind::sigmoid: model->push_back(torch::nn::Sigmoid()); break;
      case ctnn::activation_kind::identity: break;
      default: throw std::invalid_argument("torch_baseline: unsupported activation");
    }
  }
  return model;
}

/// One thread, like every other row (the interop pool may only be sized once per process).
void single_thread() {
  static const bool done = [] {
    at::set_num_threads(1);
    at::set_num_interop_threads(1);
    return true;
  }();
  (void)done;
}

}  // namespace

const char* build_note() {
  static const std::string note = [] {
    single_thread();
    std::string s = "libtorch " TORCH_VERSION ", " + std::to_string(at::get_num_threads()) + " thread";
    s += "; Debian's build uses the reference BLAS (batched GEMMs far from what PyTorch can do)";
    return s;
  }();
  return note.c_str();
}

struct inference::impl {
  torch::nn::Sequential model;
  std::int64_t in, out;
};

inference::inference(const std::vector<dense_params>& layers)
    : impl_(new impl{make_model(layers), std::int64_t(layers.front().in), std::int64_t(layers.back().out)}) {
  single_thread();
  impl_->model->eval();
}
inference::~inference() = default;

void inference::infer(const float* x, float* y) {
  c10::InferenceMode guard;
  const torch::Tensor input = torch::from_blob(const_cast<float*>(x), {1, impl_->in});
  const torch::Tensor output = impl_->model->forward(input);
  std::memcpy(y, output.data_ptr<float>(), std::size_t(impl_->out) * sizeof(float));
}

struct training::impl {
  torch::nn::Sequential model;
  loss_kind loss;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::int64_t batch, in, out;
};

training::training(const std::vector<dense_params>& layers, loss_kind loss, optimizer_kind optimizer,
                   float learning_rate, std::size_t batch) {
  single_thread();
  auto model = make_model(layers);
  std::unique_ptr<torch::optim::Optimizer> opt;
  if (optimizer == optimizer_kind::adam)
    opt = std::make_unique<torch::optim::Adam>(model->parameters(), torch::optim::AdamOptions(learning_rate));
  else
    opt = std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(learning_rate));
  impl_.reset(new impl{model, loss, std::move(opt), std::int64_t(batch), std::int64_t(layers.front().in),
                       std::int64_t(layers.back().out)});
}
training::~training() = default;

double training::step(const float* x, const std::uint32_t* labels, const float* targets) {
  impl& m = *impl_;
  const torch::Tensor input = torch::from_blob(const_cast<float*>(x), {m.batch, m.in});
  m.optimizer->zero_grad();
  const torch::Tensor output = m.model->forward(input);
  torch::Tensor loss;
  if (m.loss == loss_kind::softmax_cross_entropy) {
    torch::Tensor target = torch::empty({m.batch}, torch::kLong);
    auto* t = target.data_ptr<std::int64_t>();
    for (std::int64_t b = 0; b < m.batch; ++b) t[b] = labels[b];
    loss = torch::nn::functional::cross_entropy(output, target);
  } else {
    loss = torch::mse_loss(output, torch::from_blob(const_cast<float*>(targets), {m.batch, m.out}));
  }
  loss.backward();
  m.optimizer->step();
  return loss.item<double>();
}

std::vector<dense_params> training::parameters() const {
  std::vector<dense_params> layers;
  for (const auto& module : impl_->model->children()) {
    const auto* linear = module->as<torch::nn::Linear>();
    if (linear == nullptr) continue;
    const torch::Tensor w = linear->weight.detach().contiguous(), b = linear->bias.detach().contiguous();
    dense_params p{std::size_t(w.size(1)), std::size_t(w.size(0)), ctnn::activation_kind::identity, {}, {}};
    p.w.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    p.b.assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
    layers.push_back(std::move(p));
  }
  return layers;
}

}  // namespace bench::torch_baseline
