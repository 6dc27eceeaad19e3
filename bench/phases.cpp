// bench/phases.cpp - where a small network's training step spends its time: the T2 task (the S
// network, MSE, plain SGD, batch 1) cut into what its step runs one after the other.
//
//   taskset -c 1 build-bench/bench/phases --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
//   phase/T2/infer              one inference (the forward pass without training state)
//   phase/T2/compute_gradients  forward, loss, backward and the gradient norm, no update
//   phase/T2/step               the whole step: the above, the checks and the SGD update
//
// The weights do not change in the first two rows, so successive iterations are independent and
// the core overlaps them; a step reads the weights the previous step wrote, so its iterations
// form one dependency chain. The difference between the rows is therefore not the cost of each
// part; it says how far a step is from its forward pass (bench/RESULTS.md).
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <memory>

#include <ctnn/ctnn.hpp>
#include <reference_networks.hpp>

#include "common.hpp"

namespace {

using net_S = reference_networks::S<>;
using trainer_T2 = ctnn::trainer<net_S, ctnn::mean_squared_error, ctnn::plain_sgd, 1>;

/// The benchmark's inputs and targets (the data ctnn_bench's training rows use) and an
/// initialized network and trainer.
struct T2_setup {
  bench::data_pool<net_S::input_size, net_S::output_size> pool{256, 7 + net_S::input_size + 256};
  std::unique_ptr<net_S> net = std::make_unique<net_S>();
  std::unique_ptr<trainer_T2> trainer =
      std::make_unique<trainer_T2>(ctnn::plain_sgd::options{.learning_rate = 0.01f});
  T2_setup() {
    ctnn::rng g{1};
    ctnn::initialize(*net, g);
  }
  const std::array<float, net_S::input_size>* input(std::size_t k) const { return &pool.x[k % pool.size()]; }
  const std::array<float, net_S::output_size>* target(std::size_t k) const { return &pool.y[k % pool.target_period]; }
};

void infer(benchmark::State& state) {
  T2_setup s;
  std::array<float, net_S::output_size> y{};
  std::size_t k = 0;
  for (auto _ : state) {
    s.net->infer(s.input(k++)->data(), y.data());
    benchmark::DoNotOptimize(y);
  }
}

void compute_gradients(benchmark::State& state) {
  T2_setup s;
  std::size_t k = 0;
  for (auto _ : state) {
    const auto report = s.trainer->compute_gradients(*s.net, s.input(k), s.target(k));
    benchmark::DoNotOptimize(report.loss);
    ++k;
  }
}

void step(benchmark::State& state) {
  T2_setup s;
  std::size_t k = 0, refused = 0;
  for (auto _ : state) {
    const auto report = s.trainer->step(*s.net, s.input(k), s.target(k));
    refused += !report.ok();
    benchmark::DoNotOptimize(report.loss);
    ++k;
  }
  if (refused != 0) state.SkipWithError("a training step was refused");
}

}  // namespace

BENCHMARK(infer)->Name("phase/T2/infer");
BENCHMARK(compute_gradients)->Name("phase/T2/compute_gradients");
BENCHMARK(step)->Name("phase/T2/step");
BENCHMARK_MAIN();
