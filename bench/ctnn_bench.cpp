// bench/ctnn_bench.cpp - ctnn against Eigen, plain loops and libtorch on the reference networks.
//
//   taskset -c 1 build-bench/bench/ctnn_bench --benchmark_repetitions=9 --benchmark_out=bench.json
//   /usr/bin/python3 bench/report.py bench.json roofline.json     # the table, eigen / ctnn
//
// Rows are named <task>/<network>/<impl>: infer/{S,M,L,W} (one inference, batch 1) and
// train/{T1_b1,T1_b32,T1_b128,T2} (one training step; items = samples). Every implementation
// starts from the same canonical weights, and before timing anything the program checks that
// each one computes what ctnn computes (outputs, losses and parameters after a few steps); a
// mismatch stops the run. `--verify` only checks; `--eigen_variants` adds the four Eigen
// product styles (storage order x lazyProduct) that the `eigen` rows are chosen from.
//
// Timed loops rotate over a pool of inputs and hand every output to DoNotOptimize, so nothing
// can be hoisted out of the loop or left uncomputed.
#include <benchmark/benchmark.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ctnn/ctnn.hpp>
#include <reference_networks.hpp>

#include "common.hpp"
#include "eigen_baseline.hpp"
#include "naive_baseline.hpp"
#if defined(CTNN_BENCH_TORCH)
#include "torch_baseline.hpp"
#endif

namespace {

using bench::dense_params;
using bench::loss_kind;
using bench::optimizer_kind;

// ------------------------------------------------------------------------------------------
// The reference networks and tasks

using net_S = reference_networks::S<>;
using net_M = reference_networks::M<>;
using net_L = reference_networks::L<>;
using net_W = reference_networks::W<>;

/// The Eigen product style of the `eigen` rows, per network: the fastest of the four measured
/// with --eigen_variants on this machine (CPU-time medians, bench/RESULTS.md). Inference:
/// column-major GEMV for M and L (row-major is 1.5x slower); S is a tie, lazy by 0.5%; W is
/// 12% faster as row-major lazyProduct (dot products) than as Eigen's GEMV (9.97 vs 11.37 us).
/// Training: Eigen's blocked GEMM for T1 (lazy is 2-3x slower at batch 32/128); lazy for T2's
/// tiny products (144 vs 174 ns).
template <class Net>
constexpr bench::eigen::product_style eigen_inference_style = {.row_major = false, .lazy = false};
template <>
constexpr bench::eigen::product_style eigen_inference_style<net_S> = {.row_major = false, .lazy = true};
template <>
constexpr bench::eigen::product_style eigen_inference_style<net_W> = {.row_major = true, .lazy = true};
template <class Net>
constexpr bench::eigen::product_style eigen_training_style = {.row_major = false, .lazy = false};
template <>
constexpr bench::eigen::product_style eigen_training_style<net_S> = {.row_major = false, .lazy = true};

constexpr std::size_t inference_pool = 64;  // inputs rotated through by inference rows
constexpr std::size_t training_pool = 256;  // samples rotated through by training rows

/// Canonical parameters of a network: ctnn's default initializers (seeded) and small random
/// biases, so that verification also covers the bias path.
template <class Net>
std::vector<dense_params> make_params(std::uint64_t seed) {
  auto net = std::make_unique<Net>();
  ctnn::rng g{seed};
  ctnn::initialize(*net, g);
  auto params = bench::export_params(*net);
  for (auto& layer : params)
    for (float& b : layer.b) b = g.uniform(-0.1f, 0.1f);
  return params;
}

template <class Net>
const std::vector<dense_params>& params_of() {
  static const auto params = make_params<Net>(42 + Net::parameter_count);
  return params;
}
template <class Net, std::size_t Count>
const bench::data_pool<Net::input_size, Net::output_size>& pool_of() {
  static const bench::data_pool<Net::input_size, Net::output_size> pool(Count, 7 + Net::input_size + Count);
  return pool;
}

template <class Net>
std::unique_ptr<Net> make_ctnn(const std::vector<dense_params>& params) {
  auto net = std::make_unique<Net>();
  bench::import_params(*net, params);
  return net;
}

// ------------------------------------------------------------------------------------------
// Inference

template <class Net, class Impl>
void time_inference(benchmark::State& state, Impl& impl) {
  const auto& pool = pool_of<Net, inference_pool>();
  std::array<float, Net::output_size> y{};
  std::size_t k = 0;
  for (auto _ : state) {
    impl.infer(pool.x[k].data(), y.data());
    benchmark::DoNotOptimize(y);
    k = (k + 1) % inference_pool;
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
}

template <class Net>
void infer_ctnn(benchmark::State& state) {
  auto net = make_ctnn<Net>(params_of<Net>());
  time_inference<Net>(state, *net);
}
template <class Net, bench::eigen::product_style P>
void infer_eigen(benchmark::State& state) {
  auto net = std::make_unique<bench::eigen::network<Net, P>>(params_of<Net>());
  time_inference<Net>(state, *net);
}
template <class Net>
void infer_naive(benchmark::State& state) {
  auto net = std::make_unique<bench::naive::network<Net>>(params_of<Net>());
  time_inference<Net>(state, *net);
}
#if defined(CTNN_BENCH_TORCH)
template <class Net>
void infer_torch(benchmark::State& state) {
  bench::torch_baseline::inference net(params_of<Net>());
  time_inference<Net>(state, net);
}
#endif

// ------------------------------------------------------------------------------------------
// Training

template <class Net, loss_kind Loss, optimizer_kind Opt, std::size_t Batch>
struct task {
  using network = Net;
  static constexpr loss_kind loss = Loss;
  static constexpr optimizer_kind optimizer = Opt;
  static constexpr std::size_t batch = Batch;
  static constexpr float learning_rate = Opt == optimizer_kind::adam ? 1e-3f : 0.01f;
  using ctnn_loss = std::conditional_t<Loss == loss_kind::softmax_cross_entropy, ctnn::softmax_cross_entropy,
                                       ctnn::mean_squared_error>;
  using ctnn_optimizer = std::conditional_t<Opt == optimizer_kind::adam, ctnn::adam, ctnn::plain_sgd>;
  using ctnn_trainer = ctnn::trainer<Net, ctnn_loss, ctnn_optimizer, Batch>;
  static constexpr std::size_t pool_size = Batch > 1 ? training_pool : 64;
  static_assert(pool_size % Batch == 0);
};

using T1_b1 = task<net_L, loss_kind::softmax_cross_entropy, optimizer_kind::adam, 1>;
using T1_b32 = task<net_L, loss_kind::softmax_cross_entropy, optimizer_kind::adam, 32>;
using T1_b128 = task<net_L, loss_kind::softmax_cross_entropy, optimizer_kind::adam, 128>;
using T2 = task<net_S, loss_kind::mean_squared_error, optimizer_kind::sgd, 1>;

template <class Task>
const std::vector<dense_params>& task_params() {
  static const auto params = make_params<typename Task::network>(1000 + Task::batch);
  return params;
}

/// The batch of training step `step`: inputs, labels, real-valued targets (see data_pool).
template <class Task>
struct batch_view {
  const float* x;
  const std::uint32_t* labels;
  const std::array<float, Task::network::output_size>* targets;
};
template <class Task>
batch_view<Task> batch_at(std::size_t step) {
  const auto& pool = pool_of<typename Task::network, training_pool>();
  const std::size_t first = (step * Task::batch) % Task::pool_size;
  const std::size_t target = (step * Task::batch) % pool.target_period;
  return {pool.x[first].data(), &pool.label[target], &pool.y[target]};
}

/// Every implementation as one interface for the training loop and the verification.
template <class Task>
struct ctnn_training {
  std::unique_ptr<typename Task::network> net = make_ctnn<typename Task::network>(task_params<Task>());
  std::unique_ptr<typename Task::ctnn_trainer> trainer =
      std::make_unique<typename Task::ctnn_trainer>(typename Task::ctnn_optimizer::options{.learning_rate = Task::learning_rate});
  std::size_t refused = 0;
  double step(const batch_view<Task>& b) noexcept {
    const auto* rows = reinterpret_cast<const std::array<float, Task::network::input_size>*>(b.x);
    ctnn::step_report r;
    if constexpr (Task::loss == loss_kind::softmax_cross_entropy)
      r = trainer->step(*net, rows, b.labels);
    else
      r = trainer->step(*net, rows, b.targets);
    refused += !r.ok();
    return r.loss;
  }
  std::vector<dense_params> parameters() const { return bench::export_params(*net); }
};

template <class Task, bench::eigen::product_style P>
struct eigen_training {
  using trainer_type = bench::eigen::trainer<typename Task::network, Task::loss, Task::optimizer, Task::batch, P>;
  std::unique_ptr<trainer_type> trainer = std::make_unique<trainer_type>(task_params<Task>(), Task::learning_rate);
  std::size_t refused = 0;
  double step(const batch_view<Task>& b) noexcept {
    if constexpr (Task::loss == loss_kind::softmax_cross_entropy)
      return trainer->step(b.x, b.labels);
    else
      return trainer->step(b.x, b.targets);
  }
  std::vector<dense_params> parameters() const { return trainer->parameters(); }
};

template <class Task>
struct naive_training {
  using trainer_type = bench::naive::trainer<typename Task::network, Task::loss, Task::optimizer, Task::batch>;
  std::unique_ptr<trainer_type> trainer = std::make_unique<trainer_type>(task_params<Task>(), Task::learning_rate);
  std::size_t refused = 0;
  double step(const batch_view<Task>& b) noexcept {
    if constexpr (Task::loss == loss_kind::softmax_cross_entropy)
      return trainer->step(b.x, b.labels);
    else
      return trainer->step(b.x, b.targets);
  }
  std::vector<dense_params> parameters() const { return trainer->parameters(); }
};

#if defined(CTNN_BENCH_TORCH)
template <class Task>
struct torch_training {
  bench::torch_baseline::training trainer{task_params<Task>(), Task::loss, Task::optimizer, Task::learning_rate,
                                          Task::batch};
  std::size_t refused = 0;
  double step(const batch_view<Task>& b) {
    return trainer.step(b.x, b.labels, b.targets->data());
  }
  std::vector<dense_params> parameters() const { return trainer.parameters(); }
};
#endif

template <class Task, class Impl>
void time_training(benchmark::State& state) {
  auto impl = std::make_unique<Impl>();
  std::size_t k = 0;
  double loss = 0;
  // A volatile store, not DoNotOptimize(loss): GCC 12 miscompiles benchmark 1.7.1's "+m,r"
  // constraint on a double that lives in a register (the value read back is garbage).
  volatile double sink = 0;
  for (auto _ : state) {
    loss = impl->step(batch_at<Task>(k++));
    sink = loss;
  }
  (void)sink;
  if (impl->refused > 0 || !std::isfinite(loss)) state.SkipWithError("a training step was refused or diverged");
  state.SetItemsProcessed(std::int64_t(state.iterations() * Task::batch));
  state.counters["loss"] = loss;
}

// ------------------------------------------------------------------------------------------
// Verification: every baseline against ctnn, on the same weights and data

struct verdict {
  bool ok = true;
  void check(const std::string& what, bool good, const char* detail) {
    std::fprintf(stderr, "  %-34s %s  %s\n", what.c_str(), good ? "ok  " : "FAIL", detail);
    ok = ok && good;
  }
};

/// Outputs on 16 pool inputs: max |y - y_ctnn| relative to max |y_ctnn|.
template <class Net, class Impl>
void verify_inference(verdict& v, const std::string& name, Impl& impl) {
  auto reference = make_ctnn<Net>(params_of<Net>());
  const auto& pool = pool_of<Net, inference_pool>();
  double err = 0, scale = 0;
  for (std::size_t k = 0; k < 16; ++k) {
    std::array<float, Net::output_size> y{}, r{};
    reference->infer(pool.x[k].data(), r.data());
    impl.infer(pool.x[k].data(), y.data());
    for (std::size_t o = 0; o < Net::output_size; ++o) {
      err = std::max(err, double(std::abs(y[o] - r[o])));
      scale = std::max(scale, double(std::abs(r[o])));
    }
  }
  char detail[96];
  std::snprintf(detail, sizeof detail, "max |y - y_ctnn| = %.2e (|y| up to %.2f)", err, scale);
  v.check(name, err <= 1e-4 * std::max(1.0, scale), detail);
}

/// Five steps from the same weights on the same batches: the losses, and the parameters after.
/// Adam moves every parameter by about lr per step whatever the gradient's size, so a gradient
/// that is zero up to rounding can legitimately move a parameter in opposite directions in two
/// implementations: the check allows 0.1% of the parameters to differ by up to 5 lr.
template <class Task, class Impl>
void verify_training(verdict& v, const std::string& name) {
  constexpr int steps = 5;
  ctnn_training<Task> reference;
  Impl impl;
  double loss_err = 0;
  for (int s = 0; s < steps; ++s) {
    const double r = reference.step(batch_at<Task>(std::size_t(s)));
    const double l = impl.step(batch_at<Task>(std::size_t(s)));
    loss_err = std::max(loss_err, std::abs(l - r) / std::max(1e-3, std::abs(r)));
  }
  const auto pr = reference.parameters(), pi = impl.parameters();
  double max_err = 0;
  std::size_t total = 0, off = 0;
  for (std::size_t l = 0; l < pr.size(); ++l) {
    for (int part = 0; part < 2; ++part) {
      const auto& a = part == 0 ? pr[l].w : pr[l].b;
      const auto& b = part == 0 ? pi[l].w : pi[l].b;
      for (std::size_t i = 0; i < a.size(); ++i) {
        const double e = std::abs(double(a[i]) - double(b[i]));
        max_err = std::max(max_err, e);
        off += e > 1e-5 + 1e-4 * std::abs(double(a[i]));
        ++total;
      }
    }
  }
  char detail[160];
  std::snprintf(detail, sizeof detail, "loss rel err %.1e; params: max err %.1e, %zu of %zu beyond 1e-5+1e-4|p|",
                loss_err, max_err, off, total);
  v.check(name, loss_err <= 1e-4 && off * 1000 <= total && max_err <= 5.0 * Task::learning_rate * steps, detail);
}

template <class Net>
void verify_network(verdict& v, const char* name, bool variants) {
  const std::string prefix = std::string("infer/") + name + "/";
  {
    bench::eigen::network<Net, eigen_inference_style<Net>> e(params_of<Net>());
    verify_inference<Net>(v, prefix + "eigen", e);
  }
  if (variants) {  // every style register_network times, whichever is the default
    bench::eigen::network<Net, {.row_major = false, .lazy = false}> o(params_of<Net>());
    bench::eigen::network<Net, {.row_major = true, .lazy = false}> a(params_of<Net>());
    bench::eigen::network<Net, {.row_major = false, .lazy = true}> b(params_of<Net>());
    bench::eigen::network<Net, {.row_major = true, .lazy = true}> c(params_of<Net>());
    verify_inference<Net>(v, prefix + "eigen_colmajor", o);
    verify_inference<Net>(v, prefix + "eigen_rowmajor", a);
    verify_inference<Net>(v, prefix + "eigen_colmajor_lazy", b);
    verify_inference<Net>(v, prefix + "eigen_rowmajor_lazy", c);
  }
  {
    auto n = std::make_unique<bench::naive::network<Net>>(params_of<Net>());
    verify_inference<Net>(v, prefix + "naive", *n);
  }
#if defined(CTNN_BENCH_TORCH)
  {
    bench::torch_baseline::inference t(params_of<Net>());
    verify_inference<Net>(v, prefix + "libtorch", t);
  }
#endif
}

template <class Task>
void verify_task(verdict& v, const char* name, bool variants) {
  const std::string prefix = std::string("train/") + name + "/";
  verify_training<Task, eigen_training<Task, eigen_training_style<typename Task::network>>>(v, prefix + "eigen");
  if (variants) {  // both styles register_task times, whichever is the default
    verify_training<Task, eigen_training<Task, {.row_major = false, .lazy = false}>>(v, prefix + "eigen_plain");
    verify_training<Task, eigen_training<Task, {.row_major = false, .lazy = true}>>(v, prefix + "eigen_lazy");
  }
  verify_training<Task, naive_training<Task>>(v, prefix + "naive");
#if defined(CTNN_BENCH_TORCH)
  verify_training<Task, torch_training<Task>>(v, prefix + "libtorch");
#endif
}

bool verify_all(bool variants) {
  std::fprintf(stderr, "verification: every implementation against ctnn, same weights, same data\n");
  verdict v;
  verify_network<net_S>(v, "S", variants);
  verify_network<net_M>(v, "M", variants);
  verify_network<net_L>(v, "L", variants);
  verify_network<net_W>(v, "W", variants);
  verify_task<T1_b1>(v, "T1_b1", variants);
  verify_task<T1_b32>(v, "T1_b32", variants);
  verify_task<T1_b128>(v, "T1_b128", variants);
  verify_task<T2>(v, "T2", variants);
  std::fprintf(stderr, "verification %s\n", v.ok ? "passed" : "FAILED: the benchmark would compare different things");
  return v.ok;
}

// ------------------------------------------------------------------------------------------
// Registration

template <class Net>
void register_network(const char* name, bool variants) {
  const std::string p = std::string("infer/") + name + "/";
  benchmark::RegisterBenchmark((p + "ctnn").c_str(), infer_ctnn<Net>);
  benchmark::RegisterBenchmark((p + "eigen").c_str(), infer_eigen<Net, eigen_inference_style<Net>>);
  if (variants) {
    benchmark::RegisterBenchmark((p + "eigen_colmajor").c_str(), infer_eigen<Net, {.row_major = false, .lazy = false}>);
    benchmark::RegisterBenchmark((p + "eigen_rowmajor").c_str(), infer_eigen<Net, {.row_major = true, .lazy = false}>);
    benchmark::RegisterBenchmark((p + "eigen_colmajor_lazy").c_str(), infer_eigen<Net, {.row_major = false, .lazy = true}>);
    benchmark::RegisterBenchmark((p + "eigen_rowmajor_lazy").c_str(), infer_eigen<Net, {.row_major = true, .lazy = true}>);
  }
  benchmark::RegisterBenchmark((p + "naive").c_str(), infer_naive<Net>);
#if defined(CTNN_BENCH_TORCH)
  benchmark::RegisterBenchmark((p + "libtorch").c_str(), infer_torch<Net>);
#endif
}

template <class Task>
void register_task(const char* name, bool variants) {
  const std::string p = std::string("train/") + name + "/";
  benchmark::RegisterBenchmark((p + "ctnn").c_str(), time_training<Task, ctnn_training<Task>>);
  benchmark::RegisterBenchmark((p + "eigen").c_str(),
                               time_training<Task, eigen_training<Task, eigen_training_style<typename Task::network>>>);
  if (variants) {
    benchmark::RegisterBenchmark((p + "eigen_plain").c_str(),
                                 time_training<Task, eigen_training<Task, {.row_major = false, .lazy = false}>>);
    benchmark::RegisterBenchmark((p + "eigen_lazy").c_str(),
                                 time_training<Task, eigen_training<Task, {.row_major = false, .lazy = true}>>);
  }
  benchmark::RegisterBenchmark((p + "naive").c_str(), time_training<Task, naive_training<Task>>);
#if defined(CTNN_BENCH_TORCH)
  benchmark::RegisterBenchmark((p + "libtorch").c_str(), time_training<Task, torch_training<Task>>);
#endif
}

bool take_flag(int& argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == flag) {
      std::copy(argv + i + 1, argv + argc, argv + i);
      --argc;
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const bool verify_only = take_flag(argc, argv, "--verify");
  const bool variants = take_flag(argc, argv, "--eigen_variants");
  const bool skip_verify = take_flag(argc, argv, "--no_verify");
  const bool flush_denormals = take_flag(argc, argv, "--flush_denormals");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  if (flush_denormals) {
#if defined(__SSE__)
    // MXCSR flush-to-zero (bit 15) and denormals-are-zero (bit 6), for every row alike.
    _mm_setcsr(_mm_getcsr() | 0x8040);
#else
    std::fputs("--flush_denormals: only on x86\n", stderr);
    return 2;
#endif
  }
  if (!skip_verify && !verify_all(variants)) return 1;
  if (verify_only) return 0;

  benchmark::AddCustomContext("ctnn kernels", ctnn::kernel_backend());
  benchmark::AddCustomContext("eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                                           "." + std::to_string(EIGEN_MINOR_VERSION) + ", " +
                                           Eigen::SimdInstructionSetsInUse());
#if defined(CTNN_BENCH_TORCH)
  benchmark::AddCustomContext("libtorch", bench::torch_baseline::build_note());
#else
  benchmark::AddCustomContext("libtorch", "not found at configure time: no libtorch rows");
#endif

  register_network<net_S>("S", variants);
  register_network<net_M>("M", variants);
  register_network<net_L>("L", variants);
  register_network<net_W>("W", variants);
  register_task<T1_b1>("T1_b1", variants);
  register_task<T1_b32>("T1_b32", variants);
  register_task<T1_b128>("T1_b128", variants);
  register_task<T2>("T2", variants);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
