// bench/compile_time_L.cpp - the translation unit bench/compile_time.sh times: the L network's
// inference and a trainer with softmax cross-entropy and Adam at batch 32, as a user's training
// program would instantiate them. With -DCTNN_HEADERS_ONLY it only includes the headers (the
// part of the cost no instantiation can avoid).
#include <ctnn/ctnn.hpp>
#include <reference_networks.hpp>

#if !defined(CTNN_HEADERS_ONLY)
#include <array>
#include <cstdint>

using net_t = reference_networks::L<>;
using trainer_t = ctnn::trainer<net_t, ctnn::softmax_cross_entropy, ctnn::adam, 32>;

void infer(const net_t& net, const float* x, float* y) noexcept { net.infer(x, y); }

std::array<float, 10> classify(const net_t& net, const std::array<float, 784>& x) noexcept { return net(x); }

double train(trainer_t& trainer, net_t& net, const std::array<float, 784>* x, const std::uint32_t* labels) noexcept {
  const ctnn::step_report r = trainer.step(net, x, labels);
  return r.ok() ? r.loss : -1.0;
}
#endif
