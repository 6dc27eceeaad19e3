// bench/roofline.cpp - what one core of this machine can do, and the roofline model's bound
// that puts on every row of ctnn_bench.
//
//   taskset -c 1 build-bench/bench/roofline            # a table
//   taskset -c 1 build-bench/bench/roofline --json     # the same, for bench/report.py
//
// Measured, best of several runs of ~50 ms each (the best is the least disturbed by the other
// processes on a shared machine):
//   * clock: a chain of dependent integer adds (one cycle each on every x86 core since the P6),
//     best of 40 runs of 6 ms: on a loaded VM a whole run can lose its core;
//   * peak fp32 FMA rate: 12 independent accumulators of MulAdd on the widest Highway vector
//     (2 FMA pipes x 4 cycles latency need 8 in flight; 12 leaves margin);
//   * read bandwidth at working sets of 16 KB (L1), 512 KB (L2), 8 MB (L3) and 256 MB (DRAM):
//     sums of full vectors into 12 accumulators, so only the loads limit.
// Bounds, per benchmark (a model's bound, the slower of the three below; a row can beat the
// memory term, since the bandwidth is measured as one read stream at the whole working set's
// size while a step streams several arrays at once and part of them stays in a nearer cache:
// T1_b1 and W have run at 130-150% of it, which bench/report.py marks):
//   * compute: multiply-adds x 2 / peak FMA rate;
//   * memory: bytes that must move / read bandwidth measured at their working set's size.
//     Inference moves the canonical parameters once (4 bytes each). A training step moves the
//     optimizer's state once: Adam reads p, g, m, v and writes p, m, v (28 bytes per
//     parameter), plain SGD reads p, g and writes p (12 bytes), plus the batch's inputs.
//   * latency (train/T2 only): successive SGD steps at batch 1 form one dependency chain (a
//     step's forward pass reads the weights the previous step wrote), so a step takes at least
//     its critical path: the forward pass, the loss gradient, the backward pass to the first
//     layer's pre-activation gradient and that layer's update, counted as dependent arithmetic
//     only (no load, store or shuffle). It bounds the step computed in that order, as ctnn
//     does, on the widest vectors; reordering the algebra (the first layer's update kept as a
//     pending rank-1 term, tanh's derivative folded into the weights ahead) could shorten it. A dot product of n terms is one multiply and
//     ceil(log2 n) adds deep; an activation's derivative one multiply; tanh what a chain of the
//     library's vector tanh measures; add, multiply and FMA latencies are measured the same way.
//     Inference rows rotate independent inputs, which the core overlaps: no latency bound.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <ctnn/ctnn.hpp>
#include <hwy/highway.h>  // after ctnn: a dynamic-dispatch build must include ctnn first
#include <reference_networks.hpp>

#include "common.hpp"

namespace {

namespace hn = hwy::HWY_NAMESPACE;
using clock_type = std::chrono::steady_clock;

/// Seconds of the fastest of `runs` calls of f().
template <class F>
double best_of(int runs, F f) {
  double best = 1e30;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = clock_type::now();
    f();
    best = std::min(best, std::chrono::duration<double>(clock_type::now() - t0).count());
  }
  return best;
}

/// Core clock in GHz from a chain of dependent one-cycle adds.
double clock_ghz() {
#if defined(__x86_64__)
  constexpr long reps = 200000;
  const double s = best_of(40, [] {
    long x = 0;
    for (long i = 0; i < reps; ++i) asm volatile(".rept 100\n\taddq $1, %0\n\t.endr" : "+r"(x));
    if (x != reps * 100) std::abort();
  });
  return double(reps) * 100.0 / s / 1e9;
#else
  return 0;
#endif
}

/// Peak fp32 multiply-add rate, GFLOP/s (2 flops per lane per FMA).
double peak_gflops() {
  const hn::ScalableTag<float> d;
  constexpr int accumulators = 12;
  constexpr long reps = 2000000;
  float sink = 0;
  const double s = best_of(15, [&] {
    const auto a = hn::Set(d, 0.999999f), b = hn::Set(d, 1e-7f);
    hn::Vec<decltype(d)> acc[accumulators];
    for (int j = 0; j < accumulators; ++j) acc[j] = hn::Set(d, float(j));
    // Without -ffast-math the compiler may neither merge nor drop these chains.
    for (long i = 0; i < reps; ++i)
      for (int j = 0; j < accumulators; ++j) acc[j] = hn::MulAdd(acc[j], a, b);
    auto sum = acc[0];
    for (int j = 1; j < accumulators; ++j) sum = hn::Add(sum, acc[j]);
    sink += hn::GetLane(sum);
  });
  if (sink == 12345.0f) std::puts("");
  return 2.0 * double(hn::Lanes(d)) * accumulators * double(reps) / s / 1e9;
}

/// Read bandwidth, GB/s, summing a buffer of `bytes` over and over (~64 MB read per run).
double read_gbps(std::size_t bytes) {
  const hn::ScalableTag<float> d;
  const std::size_t n = bytes / sizeof(float);
  const std::size_t lanes = hn::Lanes(d);
  constexpr std::size_t accumulators = 12;
  auto* buf = static_cast<float*>(std::aligned_alloc(64, n * sizeof(float)));
  for (std::size_t i = 0; i < n; ++i) buf[i] = float(i % 7);
  const std::size_t passes = std::max<std::size_t>(1, (std::size_t(64) << 20) / bytes);
  // The bytes one pass reads: whole rounds of `accumulators` vectors (16 KB reads 16,128 B).
  const std::size_t read = n / (accumulators * lanes) * (accumulators * lanes) * sizeof(float);
  float sink = 0;
  const double s = best_of(bytes > (64u << 20) ? 3 : 15, [&] {
    hn::Vec<decltype(d)> acc[accumulators];
    for (auto& a : acc) a = hn::Zero(d);
    for (std::size_t p = 0; p < passes; ++p) {
      for (std::size_t i = 0; i + accumulators * lanes <= n; i += accumulators * lanes)
        for (std::size_t j = 0; j < accumulators; ++j) acc[j] = hn::Add(acc[j], hn::Load(d, buf + i + j * lanes));
    }
    auto sum = acc[0];
    for (std::size_t j = 1; j < accumulators; ++j) sum = hn::Add(sum, acc[j]);
    sink += hn::GetLane(sum);
  });
  std::free(buf);
  if (sink == 12345.0f) std::puts("");
  return double(passes) * double(read) / s / 1e9;
}

/// Nanoseconds per link of a chain in which every step applies `op` to the previous result.
template <class Op>
double chain_ns(Op op) {
  const hn::ScalableTag<float> d;
  constexpr long reps = 1000000;
  float sink = 0;
  const double s = best_of(15, [&] {
    auto v = hn::Set(d, 0.5f);
    for (long i = 0; i < reps; ++i) v = op(d, v);
    sink += hn::GetLane(v);
  });
  if (sink == 12345.0f) std::puts("");
  return s / double(reps) * 1e9;
}

struct latencies {
  double add, mul, fma, tanh;  // ns per dependent operation
  static latencies measure() {
    // The constants keep every chain finite and away from subnormals; tanh's argument stays in
    // the range where its rational form (not a saturating select) decides the result.
    return {chain_ns([](auto d, auto v) { return hn::Add(v, hn::Set(d, 1e-7f)); }),
            chain_ns([](auto d, auto v) { return hn::Mul(v, hn::Set(d, 0.9999999f)); }),
            chain_ns([](auto d, auto v) { return hn::MulAdd(v, hn::Set(d, 0.5f), hn::Set(d, 0.25f)); }),
            chain_ns([](auto d, auto v) { return ctnn::kernels::HWY_NAMESPACE::tanh(d, hn::Add(v, hn::Set(d, 0.5f))); }) -
                chain_ns([](auto d, auto v) { return hn::Add(v, hn::Set(d, 0.5f)); })};
  }
};

struct machine {
  double ghz, gflops, l1, l2, l3, dram;  // GHz, GFLOP/s, GB/s
  latencies latency;
  static constexpr std::size_t l1_bytes = 48 << 10, l2_bytes = 1 << 20;
};

struct bound {
  std::string name;
  double flops, bytes, working_set;
  double compute_ns, memory_ns;
  const char* level;
  double latency_ns = 0;  ///< critical path of a chain of dependent steps, where one is timed
  double ns() const { return std::max({compute_ns, memory_ns, latency_ns}); }
  const char* limit() const {
    if (latency_ns >= std::max(compute_ns, memory_ns)) return "latency";
    return compute_ns >= memory_ns ? "FMA peak" : level;
  }
};

/// The memory level a working set lives in (for the label), and the read bandwidth measured at
/// that very working set: a set just over L2 (W's 1.004 MB of weights) read cyclically misses
/// L2 almost entirely on this machine (read_gbps(1028 KB) is the L3 figure), which no fixed
/// per-level figure would show. Sets smaller than 16 KB use the L1 figure.
std::pair<const char*, double> level_of(const machine& m, double working_set) {
  const char* level = working_set <= machine::l1_bytes   ? "L1 bandwidth"
                      : working_set <= machine::l2_bytes ? "L2 bandwidth"
                                                         : "L3 bandwidth";
  if (working_set <= 16 << 10) return {level, m.l1};
  return {level, read_gbps(std::size_t(working_set) / 768 * 768)};  // whole 12-vector blocks
}

bound make_bound(const machine& m, std::string name, double flops, double bytes, double working_set) {
  const auto [level, gbps] = level_of(m, working_set);
  return {std::move(name), flops, bytes, working_set, flops / m.gflops, bytes / gbps, level};
}

template <class Net>
bound inference_bound(const machine& m, const char* name) {
  const double params = double(Net::parameter_count);
  return make_bound(m, std::string("infer/") + name, 2.0 * double(bench::multiply_adds<Net>()), 4.0 * params,
                    4.0 * params);
}

/// One training step: forward (2 flops per multiply-add), weight gradient (2), input gradient
/// of every layer but the first (2); optimizer state traffic and the batch's inputs.
template <class Net>
bound training_bound(const machine& m, const char* name, std::size_t batch, bool adam) {
  const double macs = double(bench::multiply_adds<Net>());
  const double first = double(bench::layer_shape<Net, 0>::in * bench::layer_shape<Net, 0>::out);
  const double params = double(Net::parameter_count);
  const double flops = double(batch) * (6.0 * macs - 2.0 * first);
  const double state_bytes = (adam ? 16.0 : 8.0) * params;  // p, g (, m, v)
  const double traffic = (adam ? 28.0 : 12.0) * params + 4.0 * double(batch * Net::input_size);
  return make_bound(m, std::string("train/") + name, flops, traffic, state_bytes + 4.0 * double(batch * Net::input_size));
}

/// ceil(log2(n)): the depth of a pairwise sum of n terms.
constexpr int tree_depth(std::size_t n) {
  int depth = 0;
  for (std::size_t width = 1; width < n; width *= 2) ++depth;
  return depth;
}

/// The critical path of a plain-SGD, MSE step at batch 1 through a network of dense layers (see
/// the header): forward, loss gradient, backward to the first layer, the first layer's update.
template <class Net>
double sgd_step_latency_ns(const latencies& l) {
  // sigmoid is computed from tanh (at least as long); relu and leaky relu are one max or select.
  const auto activation = [&](ctnn::activation_kind kind) {
    using enum ctnn::activation_kind;
    return kind == tanh || kind == sigmoid ? l.tanh : kind == identity ? 0.0 : l.add;
  };
  double ns = l.add;  // the loss gradient, y - t (MSE's 2/n folded into a constant)
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    // Forward: each layer's dot products, then its activation.
    ((ns += l.mul + tree_depth(bench::layer_shape<Net, I>::in) * l.add + activation(bench::layer_shape<Net, I>::act)), ...);
    // Backward: each layer but the first passes its gradient down (dot products over its
    // outputs), times the derivative of the activation below it.
    (
        [&] {
          if constexpr (I > 0)
            ns += l.mul + tree_depth(bench::layer_shape<Net, I>::out) * l.add +
                  (bench::layer_shape<Net, I - 1>::act == ctnn::activation_kind::identity ? 0.0 : l.mul);
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});
  return ns + l.fma;  // p - (lr x) dz for the first layer's weights, read by the next forward pass
}

}  // namespace

int main(int argc, char** argv) {
  const bool json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  machine m{};
  m.gflops = peak_gflops();
  m.ghz = clock_ghz();
  m.l1 = read_gbps(16 << 10);
  m.l2 = read_gbps(512 << 10);
  m.l3 = read_gbps(8 << 20);
  m.dram = read_gbps(256 << 20);
  m.latency = latencies::measure();

  using namespace reference_networks;
  std::vector<bound> bounds = {
      inference_bound<S<>>(m, "S"),
      inference_bound<M<>>(m, "M"),
      inference_bound<L<>>(m, "L"),
      inference_bound<W<>>(m, "W"),
      training_bound<L<>>(m, "T1_b1", 1, true),
      training_bound<L<>>(m, "T1_b32", 32, true),
      training_bound<L<>>(m, "T1_b128", 128, true),
      training_bound<S<>>(m, "T2", 1, false),
  };
  bounds.back().latency_ns = sgd_step_latency_ns<S<>>(m.latency);

  if (json) {
    std::printf("{\n  \"machine\": {\"target\": \"%s\", \"clock_ghz\": %.3f, \"peak_gflops\": %.1f, "
                "\"l1_gbps\": %.1f, \"l2_gbps\": %.1f, \"l3_gbps\": %.1f, \"dram_gbps\": %.1f, \"latency_ns\": {\"add\": %.3f, \"mul\": %.3f, \"fma\": %.3f, "
                "\"tanh\": %.3f}},\n  \"bounds\": {\n",
                hwy::TargetName(HWY_STATIC_TARGET), m.ghz, m.gflops, m.l1, m.l2, m.l3, m.dram, m.latency.add,
                m.latency.mul, m.latency.fma, m.latency.tanh);
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      const bound& b = bounds[i];
      std::printf("    \"%s\": {\"ns\": %.2f, \"limit\": \"%s\", \"flops\": %.0f, \"bytes\": %.0f, \"compute_ns\": %.2f, "
                  "\"memory_ns\": %.2f, \"latency_ns\": %.2f, \"working_set\": %.0f, \"gbps\": %.1f}%s\n",
                  b.name.c_str(), b.ns(), b.limit(), b.flops, b.bytes, b.compute_ns, b.memory_ns, b.latency_ns,
                  b.working_set,
                  b.bytes / b.memory_ns, i + 1 < bounds.size() ? "," : "");
    }
    std::printf("  }\n}\n");
    return 0;
  }

  std::printf("one core, %s (%zu fp32 lanes)\n", hwy::TargetName(HWY_STATIC_TARGET),
              hn::Lanes(hn::ScalableTag<float>()));
  std::printf("  clock (dependent adds)   %8.2f GHz\n", m.ghz);
  std::printf("  peak fp32 FMA            %8.1f GFLOP/s  (%.1f flops/cycle)\n", m.gflops, m.gflops / m.ghz);
  std::printf("  read bandwidth L1 16 KB  %8.1f GB/s     (%.1f bytes/cycle)\n", m.l1, m.l1 / m.ghz);
  std::printf("  read bandwidth L2 512 KB %8.1f GB/s     (%.1f bytes/cycle)\n", m.l2, m.l2 / m.ghz);
  std::printf("  read bandwidth L3 8 MB   %8.1f GB/s     (%.1f bytes/cycle)\n", m.l3, m.l3 / m.ghz);
  std::printf("  read bandwidth DRAM      %8.1f GB/s\n", m.dram);
  // In ns, not cycles: wide vector code may run at a lower clock than the integer adds above
  // (AVX-512 on Skylake-SP: 4-cycle FMAs measure 2.25 ns, against 2.34 GHz for the adds).
  std::printf("  latency add / mul / FMA  %5.2f / %.2f / %.2f ns\n", m.latency.add, m.latency.mul, m.latency.fma);
  std::printf("  latency of ctnn's tanh   %8.2f ns     (%.1f FMA latencies)\n\n", m.latency.tanh,
              m.latency.tanh / m.latency.fma);
  std::printf("%-14s %10s %10s %10s %8s %11s %11s %11s %11s  %s\n", "bound", "flops", "bytes", "work set", "GB/s",
              "compute", "memory", "latency", "bound", "limited by");
  for (const bound& b : bounds)
    std::printf("%-14s %10.0f %10.0f %10.0f %8.1f %8.1f ns %8.1f ns %8.1f ns %8.1f ns  %s\n", b.name.c_str(), b.flops,
                b.bytes, b.working_set, b.bytes / b.memory_ns, b.compute_ns, b.memory_ns, b.latency_ns, b.ns(), b.limit());
  return 0;
}
