// bench/kernels.cpp - the kernels of T1's step and of M's inference on their own, as rates to
// set beside the machine's (bench/roofline.cpp): GFLOP/s for the GEMMs, GB/s for Adam.
//
//   taskset -c 1 build-bench/bench/kernels --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//
//   kernel/T1/forward/b32, b128           L's first layer forward, act(X W^T + b), 32 or 128 rows
//   kernel/T1/weight_gradient/b32, b128   its weight gradient X^T dZ
//   kernel/T1/adam                        one Adam update of L's 109,776 padded parameters
//   kernel/M/layer_16_64, _64_64, _64_8   M's three batch-1 layers, each on rotating inputs
//   kernel/M/chain                        the three one after the other (an inference)
//
// Calls of the same kernel are independent, so the core overlaps them: a row says what the
// kernel sustains, not the latency it adds to a step. bench/RESULTS.md ("Where T1's time goes")
// has the figures and what they rule out.
#include <benchmark/benchmark.h>

#include <cstddef>

#include <ctnn/ctnn.hpp>
#include <aligned.hpp>
#include <reference_networks.hpp>

namespace {

namespace kernels = ctnn::kernels::active;
using ctnn::padded;

/// n floats in [-1, 1) from a seed, 64-byte aligned (tests/support/aligned.hpp).
using buffer = test_support::aligned_array<float>;

void flops(benchmark::State& state, double per_call) {
  state.counters["FLOP"] = benchmark::Counter(per_call, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

constexpr std::size_t l_in = 784, l_out = padded<float>(128);

template <std::size_t Batch>
void t1_forward(benchmark::State& state) {
  buffer x(Batch * l_in, 1), w(l_in * l_out, 2), b(l_out, 3), y(Batch * l_out, 4);
  for (auto _ : state) {
    kernels::gemm_bcast<ctnn::relu, Batch, l_in, l_in, 1, l_out>(x.data(), w.data(), b.data(), y.data());
    benchmark::ClobberMemory();
  }
  flops(state, 2.0 * Batch * l_in * 128);
}

template <std::size_t Batch>
void t1_weight_gradient(benchmark::State& state) {
  buffer x(Batch * l_in, 1), dz(Batch * l_out, 2), dw(l_in * l_out, 3);
  for (auto _ : state) {
    kernels::gemm_bcast<ctnn::identity, l_in, Batch, 1, l_in, l_out>(x.data(), dz.data(), nullptr, dw.data());
    benchmark::ClobberMemory();
  }
  flops(state, 2.0 * Batch * l_in * 128);
}

void t1_adam(benchmark::State& state) {
  // Every padded parameter of L, as the trainer's update passes over them.
  constexpr std::size_t n = reference_networks::L<>::parameter_bytes / sizeof(float);
  buffer p(n, 1), g(n, 2), m(n, 3), v(n, 4);
  for (std::size_t i = 0; i < n; ++i) v.data()[i] *= v.data()[i];  // a second moment is not negative
  const ctnn::kernels::adam_constants<float> c{0.9f, 0.999f, 0.1f, 0.001f, 1e-3f, 1.0f, 1e-8f, 0.0f, 1.0f};
  for (auto _ : state) {
    const double moved = kernels::adam_update<false, false>(p.data(), ctnn::kernels::stored_gradient<float>{g.data()}, m.data(),
                                                           v.data(), static_cast<float*>(nullptr), 1, n, c);
    benchmark::DoNotOptimize(moved);
  }
  // Reads p, g, m, v and writes p, m, v.
  state.counters["bytes"] = benchmark::Counter(7.0 * sizeof(float) * double(n), benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

/// M's weights, its layers' output rows and rotating batch-1 inputs.
struct m_setup {
  static constexpr std::size_t hidden = padded<float>(64), out = padded<float>(8), pool = 1024;
  buffer x{pool, 1}, w1{16 * hidden, 2}, w2{64 * hidden, 3}, w3{64 * out, 4}, b{hidden, 5};
  buffer h1{hidden, 0}, h2{hidden, 0}, y{out, 0};

  /// Layer I (0, 1 or 2) on the input row `in`, into its output row.
  template <std::size_t I>
  void layer(const float* in) {
    if constexpr (I == 0) kernels::gemm_bcast<ctnn::relu, 1, 16, 16, 1, hidden>(in, w1.data(), b.data(), h1.data());
    if constexpr (I == 1) kernels::gemm_bcast<ctnn::relu, 1, 64, 64, 1, hidden>(in, w2.data(), b.data(), h2.data());
    if constexpr (I == 2) kernels::gemm_bcast<ctnn::identity, 1, 64, 64, 1, out>(in, w3.data(), b.data(), y.data());
  }
  /// The k-th of the pool's input rows of `width` values.
  const float* input(std::size_t k, std::size_t width) const { return x.data() + k % (pool / width) * width; }
};

template <std::size_t I>
void m_layer(benchmark::State& state) {
  m_setup s;
  std::size_t k = 0;
  for (auto _ : state) {
    s.layer<I>(s.input(k++, I == 0 ? 16 : 64));
    benchmark::ClobberMemory();
  }
}

void m_chain(benchmark::State& state) {
  m_setup s;
  std::size_t k = 0;
  for (auto _ : state) {
    s.layer<0>(s.input(k++, 16));
    s.layer<1>(s.h1.data());
    s.layer<2>(s.h2.data());
    benchmark::ClobberMemory();
  }
}

}  // namespace

BENCHMARK(t1_forward<32>)->Name("kernel/T1/forward/b32");
BENCHMARK(t1_forward<128>)->Name("kernel/T1/forward/b128");
BENCHMARK(t1_weight_gradient<32>)->Name("kernel/T1/weight_gradient/b32");
BENCHMARK(t1_weight_gradient<128>)->Name("kernel/T1/weight_gradient/b128");
BENCHMARK(t1_adam)->Name("kernel/T1/adam");
BENCHMARK(m_layer<0>)->Name("kernel/M/layer_16_64");
BENCHMARK(m_layer<1>)->Name("kernel/M/layer_64_64");
BENCHMARK(m_layer<2>)->Name("kernel/M/layer_64_8");
BENCHMARK(m_chain)->Name("kernel/M/chain");
BENCHMARK_MAIN();
