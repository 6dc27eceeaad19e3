// ctnn/kernels/simd.hpp - Highway kernels, same contracts as kernels/scalar.hpp, in
// ctnn::kernels::HWY_NAMESPACE (N_AVX3, N_AVX2, ...; kernels.hpp names the static target's `simd`).
//
// Under dynamic dispatch hwy/foreach_target.h includes this file once per target
// (kernels/kernels.hpp), so it has a guard toggled by HWY_TARGET_TOGGLE instead of #pragma once
// (Highway's pattern for per-target headers) and each pass registers its entry points as
// target_kernels<HWY_TARGET>, from which kernels/dispatch.hpp builds its tables.
//
// Why the shapes: batch-1 inference is a matrix-vector product, batched training a GEMM. Both
// run through one register-blocked "broadcast-FMA" micro-kernel on the transposed weight layout
// wt[In][OutStride]: a block of R rows x C output vectors stays in registers while the reduction
// dimension streams past, one broadcast of an input value and C weight loads per step. No
// horizontal reduction is needed, and the padded output stride makes every load and store a
// full, aligned vector. Because every size is a template parameter the block shape, the
// remainders and the trip counts are constants the compiler unrolls.
//
// When the block is too small to hide FMA latency (a 16-wide layer at batch 1 has one
// accumulator), the reduction is split across independent accumulator sets that are summed at
// the end: eight chains cover two FMA pipes of 4-cycle latency (Zen 4/5, Intel since Skylake);
// with four, M's 64-wide layers left one pipe idle (114 -> 89 ns, bench/RESULTS.md).
#include "../config.hpp"

#if !defined(CTNN_PURE_SCALAR)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../layers/activations.hpp"
#include "gradient_source.hpp"
#include "optimizer_constants.hpp"
#include "subnormal.hpp"
#include "weight_prefetch.hpp"

// Per target (each has its own guard toggled the same way).
#include <hwy/highway.h>
#include <hwy/cache_control.h>
#include <hwy/contrib/math/math-inl.h>

namespace ctnn::kernels {
/// The kernel entry points compiled for one Highway target (HWY_AVX2, ...), as pointers.
template <std::int64_t Target>
struct target_kernels;
}  // namespace ctnn::kernels

#if defined(CTNN_KERNELS_SIMD_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef CTNN_KERNELS_SIMD_HPP_
#undef CTNN_KERNELS_SIMD_HPP_
#else
#define CTNN_KERNELS_SIMD_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace ctnn::kernels::HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

template <class T>
using tag = hn::ScalableTag<T>;
template <class T>
using vec = hn::Vec<tag<T>>;
/// Lanes of this target's vector: the kernels' step. It divides the rows' padding, simd_lanes
/// (config.hpp), which under dynamic dispatch is the widest target's.
template <class T>
inline constexpr std::size_t lanes = hn::MaxLanes(tag<T>());

/// Architectural vector registers: 32 with AVX-512, 16 otherwise; bounds the block size.
inline constexpr std::size_t vector_registers = (HWY_TARGET <= HWY_AVX3) ? 32 : 16;

/// tanh of a vector. float: the 13/6 rational approximation Eigen uses (generic_fast_tanh_float),
/// one division (a refined reciprocal on AVX-512) and no exp; Highway's Expm1-based Tanh made
/// S's inference 41.5 ns against 26.0 ns with this (bench/RESULTS.md). Max abs error over
/// [-20, 20] is checked against 5e-7 by tests/activations_test.cpp. double: Highway's Tanh.
template <class D, class V>
CTNN_INLINE V tanh(D d, V x) noexcept {
  using T = hn::TFromD<D>;
  if constexpr (std::is_same_v<T, float>) {
    // At batch 1 a layer waits for its activation, so tanh's latency is on S's critical path:
    // Estrin's scheme in y = x^2 (Horner's chain of six dependent FMAs is four deep here); the
    // division x / q starts as soon as q is ready, in parallel with the numerator; and instead
    // of clamping the argument first (two more dependent steps), |x| >= 7.9053 is answered +-1
    // by a select at the end (tanh is 1 - 2.7e-7 there, and the rational form overflows for
    // large x).
    const auto y = hn::Mul(x, x);
    const auto y2 = hn::Mul(y, y);
    const auto y4 = hn::Mul(y2, y2);
    const auto p01 = hn::MulAdd(y, hn::Set(d, 6.37261928875436e-04f), hn::Set(d, 4.89352455891786e-03f));
    const auto p23 = hn::MulAdd(y, hn::Set(d, 5.12229709037114e-08f), hn::Set(d, 1.48572235717979e-05f));
    const auto p45 = hn::MulAdd(y, hn::Set(d, 2.00018790482477e-13f), hn::Set(d, -8.60467152213735e-11f));
    const auto p0123 = hn::MulAdd(y2, p23, p01);
    const auto p456 = hn::MulAdd(y2, hn::Set(d, -2.76076847742355e-16f), p45);
    const auto p = hn::MulAdd(y4, p456, p0123);
    const auto q01 = hn::MulAdd(y, hn::Set(d, 2.26843463243900e-03f), hn::Set(d, 4.89352518554385e-03f));
    const auto q23 = hn::MulAdd(y, hn::Set(d, 1.19825839466702e-06f), hn::Set(d, 1.18534705686654e-04f));
    const auto q = hn::MulAdd(y2, q23, q01);
    // AVX-512: p x / q through rcp14 (14 bits) and one Newton step, folded into the ratio as
    // t + t e with t = p x r and e = 1 - q r, the two in parallel: three dependent steps after
    // q instead of a 512-bit division (18 cycles of latency on Skylake-SP) and a multiply.
    // Max abs error over tests/activations_test.cpp's grid: 2.82e-7 -> 3.09e-7; S's inference
    // 105 -> 96 ns (bench/RESULTS.md). Elsewhere rcpps has 12 bits, and one step would leave
    // 1.4e-7 relative, half the tanh's error budget: those targets divide.
    V ratio;
    if constexpr (HWY_TARGET <= HWY_AVX3) {
      const auto r = hn::ApproximateReciprocal(q);
      const auto t = hn::Mul(hn::Mul(p, x), r);
      ratio = hn::MulAdd(t, hn::NegMulAdd(q, r, hn::Set(d, 1.0f)), t);
    } else {
      ratio = hn::Mul(p, hn::Div(x, q));
    }
    const auto magnitude = hn::Abs(x);
    const auto saturated = hn::IfThenElse(magnitude >= hn::Set(d, 7.90531110763549805f), hn::CopySign(hn::Set(d, 1.0f), x), ratio);
    // Below 0.0004, tanh(x) = x to float precision and the rational form loses relative accuracy.
    // Written as "not >=" so that a NaN (which the comparisons above do not catch) is returned
    // as it came: a NaN input must stay visible to the trainer's finiteness check.
    return hn::IfThenElse(hn::Not(magnitude >= hn::Set(d, 0.0004f)), x, saturated);
  } else {
    return hn::Tanh(d, x);
  }
}

/// The activation applied to a vector (sigmoid from tanh: sigmoid(x) = 0.5 * tanh(x / 2) + 0.5,
/// which halves tanh's absolute error).
template <class Act, class D, class V>
CTNN_INLINE V activate(D d, V v) noexcept {
  using T = hn::TFromD<D>;
  if constexpr (Act::kind == activation_kind::identity) {
    return v;
  } else if constexpr (Act::kind == activation_kind::relu) {
    return hn::IfThenZeroElse(v <= hn::Zero(d), v);  // a NaN stays NaN (activations.hpp, relu)
  } else if constexpr (Act::kind == activation_kind::leaky_relu) {
    return hn::IfThenElse(v > hn::Zero(d), v, hn::Mul(v, hn::Set(d, Act::template slope_in<T>)));
  } else if constexpr (Act::kind == activation_kind::tanh) {
    return tanh(d, v);
  } else {
    static_assert(Act::kind == activation_kind::sigmoid);
    const auto half = hn::Set(d, T(0.5));
    return hn::MulAdd(tanh(d, hn::Mul(v, half)), half, half);
  }
}

/// The activation's derivative, from its output y.
template <class Act, class D, class V>
CTNN_INLINE V derivative_from_output(D d, V y) noexcept {
  using T = hn::TFromD<D>;
  const auto one = hn::Set(d, T(1));
  if constexpr (Act::kind == activation_kind::identity) {
    return one;
  } else if constexpr (Act::kind == activation_kind::relu) {
    return hn::IfThenElseZero(y > hn::Zero(d), one);
  } else if constexpr (Act::kind == activation_kind::leaky_relu) {
    return hn::IfThenElse(y > hn::Zero(d), one, hn::Set(d, Act::template slope_in<T>));
  } else if constexpr (Act::kind == activation_kind::tanh) {
    return hn::NegMulAdd(y, y, one);
  } else {
    return hn::Mul(y, hn::Sub(one, y));
  }
}

namespace detail {

/// One R x C block of gemm_bcast: R rows, C output vectors, Split interleaved reductions. With
/// Accumulate the sums start from c's values (a later part of a reduction split in parts).
template <class Act, std::size_t R, std::size_t C, std::size_t Split, std::size_t K, std::size_t ARow,
          std::size_t ACol, std::size_t Stride, bool Accumulate, class T>
CTNN_INLINE void gemm_block(const T* CTNN_RESTRICT a, const T* CTNN_RESTRICT b, const T* CTNN_RESTRICT init,
                            T* CTNN_RESTRICT c) noexcept {
  const tag<T> d;
  constexpr std::size_t N = lanes<T>;
  vec<T> acc[Split][R][C];
  // Batch 1 through more than 64 KiB of weights in rows of at most 512 bytes: the weights
  // stream from L2, and loading them into L1 12 KiB ahead cut L's inference from 2.54 to
  // 2.18 us on Zen 5; W's 1 KiB rows, read from L3, became slower (7.9 -> 8.7 us), so wider
  // rows are left to the hardware prefetcher (bench/RESULTS.md). Where prefetch_weights.
  constexpr std::size_t row_bytes = C * N * sizeof(T);
  constexpr std::size_t prefetch_rows =
      R == 1 && K * Stride * sizeof(T) > 64 * 1024 && row_bytes <= 512 ? 12 * 1024 / row_bytes : 0;
  for (std::size_t s = 0; s < Split; ++s)
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t j = 0; j < C; ++j)
        acc[s][r][j] = s != 0            ? hn::Zero(d)
                       : Accumulate      ? hn::Load(d, c + r * Stride + j * N)
                       : init != nullptr ? hn::Load(d, init + j * N)
                                         : hn::Zero(d);

  constexpr std::size_t main_k = K / Split * Split;
  for (std::size_t k = 0; k < main_k; k += Split) {
    for (std::size_t s = 0; s < Split; ++s) {
      if constexpr (prefetch_rows != 0)
        if (prefetch_weights && k + s + prefetch_rows < K)
          for (std::size_t j = 0; j < row_bytes; j += 64)
            hwy::Prefetch(reinterpret_cast<const char*>(b + (k + s + prefetch_rows) * Stride) + j);
      vec<T> w[C];
      for (std::size_t j = 0; j < C; ++j) w[j] = hn::Load(d, b + (k + s) * Stride + j * N);
      for (std::size_t r = 0; r < R; ++r) {
        const auto x = hn::Set(d, a[r * ARow + (k + s) * ACol]);
        for (std::size_t j = 0; j < C; ++j) acc[s][r][j] = hn::MulAdd(x, w[j], acc[s][r][j]);
      }
    }
  }
  for (std::size_t k = main_k; k < K; ++k) {
    for (std::size_t r = 0; r < R; ++r) {
      const auto x = hn::Set(d, a[r * ARow + k * ACol]);
      for (std::size_t j = 0; j < C; ++j) acc[0][r][j] = hn::MulAdd(x, hn::Load(d, b + k * Stride + j * N), acc[0][r][j]);
    }
  }
  // The Split partial sums are added pairwise, log2(Split) adds deep: a serial sum put seven
  // dependent adds after S's 16-wide layers, at batch 1 on the critical path.
  for (std::size_t width = Split; width > 1; width = (width + 1) / 2)
    for (std::size_t s = 0; s < width / 2; ++s)
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t j = 0; j < C; ++j) acc[s][r][j] = hn::Add(acc[s][r][j], acc[s + (width + 1) / 2][r][j]);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t j = 0; j < C; ++j) hn::Store(activate<Act>(d, acc[0][r][j]), d, c + r * Stride + j * N);
}

/// Interleaved reductions needed so that R*C*Split >= 8 independent FMA chains.
constexpr std::size_t split_for(std::size_t r, std::size_t c, std::size_t k) noexcept {
  constexpr std::size_t chains_wanted = 8;
  const std::size_t chains = r * c;
  const std::size_t want = chains >= chains_wanted ? 1 : (chains_wanted + chains - 1) / chains;
  return std::min(want, k == 0 ? std::size_t{1} : k);
}

template <class Act, std::size_t R, std::size_t C, std::size_t K, std::size_t ARow, std::size_t ACol,
          std::size_t Stride, bool Accumulate, class T>
CTNN_INLINE void gemm_row_block(const T* a, const T* b, const T* init, T* c) noexcept {
  constexpr std::size_t N = lanes<T>;
  constexpr std::size_t V = Stride / N;
  constexpr std::size_t full = V / C * C;
  for (std::size_t j = 0; j < full; j += C)
    gemm_block<Act, R, C, split_for(R, C, K), K, ARow, ACol, Stride, Accumulate>(
        a, b + j * N, init ? init + j * N : nullptr, c + j * N);
  if constexpr (V % C != 0)
    gemm_block<Act, R, V % C, split_for(R, V % C, K), K, ARow, ACol, Stride, Accumulate>(
        a, b + full * N, init ? init + full * N : nullptr, c + full * N);
}

}  // namespace detail

namespace detail {

/// All M rows of gemm_bcast over one range of the reduction, K long.
template <class Act, std::size_t M, std::size_t K, std::size_t ARow, std::size_t ACol, std::size_t Stride,
          bool Accumulate, class T>
CTNN_INLINE void gemm_rows(const T* a, const T* b, const T* init, T* c) noexcept {
  constexpr std::size_t V = Stride / lanes<T>;
  // Batch 1: with 32 vector registers, up to 16 accumulators across the outputs, so that a
  // 256-wide layer's weight rows are read once, front to back (with 8, W's layers were read in
  // two interleaved passes with a 1 KB stride: 10.2 -> 7.4-8.2 us on AVX-512, bench/RESULTS.md);
  // 8 where 16 registers could not hold 16 accumulators and a broadcast. Batches: 4 output
  // vectors and as many rows as the register file holds (R*C accumulators + C weights + 1
  // broadcast).
  constexpr std::size_t C = std::min<std::size_t>(V, M == 1 ? (vector_registers >= 32 ? 16 : 8) : 4);
  constexpr std::size_t R = M == 1 ? 1 : std::clamp<std::size_t>((vector_registers - C - 1) / C, 1, std::min<std::size_t>(M, 6));
  constexpr std::size_t full = M / R * R;
  for (std::size_t r = 0; r < full; r += R)
    gemm_row_block<Act, R, C, K, ARow, ACol, Stride, Accumulate>(a + r * ARow, b, init, c + r * Stride);
  if constexpr (M % R != 0)
    gemm_row_block<Act, M % R, C, K, ARow, ACol, Stride, Accumulate>(a + full * ARow, b, init, c + full * Stride);
}

}  // namespace detail

/// c[r][j] = act(init[j] + sum_k a[r*ARow + k*ACol] * b[k][j]); see kernels/scalar.hpp.
template <class Act, std::size_t M, std::size_t K, std::size_t ARow, std::size_t ACol, std::size_t Stride, class T>
void gemm_bcast(const T* a, const T* b, const std::type_identity_t<T>* init, T* c) noexcept {
  static_assert(Stride % lanes<T> == 0, "gemm_bcast: the output stride must be a whole number of vectors");
  // The weight gradient X^T dZ (a read down its columns: ARow == 1) reduces over the batch, and
  // every block of rows streams all K rows of b, the 32 KiB of a 64-output panel of dZ at batch
  // 128, which with a's lines did not stay in L1. In parts of 32 the panel does, and c holds the
  // partial sums between parts: kernel/T1/weight_gradient/b128 363-436 -> 318-383 us
  // (bench/RESULTS.md). The forward GEMM (a read along its rows) gained nothing from parts.
  constexpr std::size_t part = M > 1 && ARow == 1 && K > 32 ? 32 : K;
  if constexpr (part == K) {
    detail::gemm_rows<Act, M, K, ARow, ACol, Stride, false>(a, b, init, c);
  } else {
    constexpr std::size_t last = K % part == 0 ? part : K % part;  // the part that applies Act
    constexpr std::size_t before = K - last;
    constexpr const T* no_init = nullptr;
    detail::gemm_rows<identity, M, part, ARow, ACol, Stride, false>(a, b, init, c);
    for (std::size_t k = part; k < before; k += part)
      detail::gemm_rows<identity, M, part, ARow, ACol, Stride, true>(a + k * ACol, b + k * Stride, no_init, c);
    detail::gemm_rows<Act, M, last, ARow, ACol, Stride, true>(a + before * ACol, b + before * Stride, no_init, c);
  }
}

namespace detail {

/// Lane p of the result = the sum of the lanes of v[p], for as many vectors as lanes: a
/// transpose-and-add tree (log2 N levels of ConcatEven + ConcatOdd, N - 1 pairs in all). One
/// SumOfLanes per vector instead costs log2 N shuffles each and leaves N scalars to store one
/// by one, which then stall the vector load that reads them back (bench/RESULTS.md: 16% of an
/// S training step).
template <class D, class V, std::size_t N>
CTNN_INLINE V sum_lanes_of_each([[maybe_unused]] D d, V (&v)[N]) noexcept {
#if HWY_TARGET != HWY_SCALAR  // one lane: nothing to reduce (and no ConcatEven/ConcatOdd)
  for (std::size_t n = N; n > 1; n /= 2)
    for (std::size_t k = 0; k < n / 2; ++k)
      v[k] = hn::Add(hn::ConcatEven(d, v[2 * k + 1], v[2 * k]), hn::ConcatOdd(d, v[2 * k + 1], v[2 * k]));
#endif
  return v[0];
}

/// N values of one sample's dx: the dot products of dz with Rows (<= N) weight rows, stored
/// as one vector whose lanes past Rows are zero.
template <std::size_t Rows, std::size_t OutStride, class T>
CTNN_INLINE void backward_input_block(const T* CTNN_RESTRICT dz, const T* CTNN_RESTRICT wt, T* CTNN_RESTRICT dx) noexcept {
  const tag<T> d;
  constexpr std::size_t N = lanes<T>;
  vec<T> acc[N];
  for (std::size_t p = 0; p < N; ++p) acc[p] = hn::Zero(d);
  for (std::size_t o = 0; o < OutStride; o += N) {
    const auto g = hn::Load(d, dz + o);
    for (std::size_t p = 0; p < Rows; ++p) acc[p] = hn::MulAdd(g, hn::Load(d, wt + p * OutStride + o), acc[p]);
  }
  hn::Store(sum_lanes_of_each(d, acc), d, dx);
}

}  // namespace detail

/// dx[b][i] = sum_o dz[b][o] * wt[i][o]; padded lanes of dx are zeroed. N weight rows at a
/// time in N accumulators (independent FMA chains), reduced into one vector store.
template <std::size_t Batch, std::size_t In, std::size_t DXStride, std::size_t OutStride, class T>
void dense_backward_input(const T* dz, const T* wt, T* dx) noexcept {
  constexpr std::size_t N = lanes<T>;
  static_assert(OutStride % N == 0, "dense_backward_input: OutStride must be a whole number of vectors");
  static_assert(DXStride % N == 0, "dense_backward_input: the input gradient's rows must be padded");
  constexpr std::size_t full = In / N * N;
  for (std::size_t b = 0; b < Batch; ++b) {
    const T* g = dz + b * OutStride;
    T* row = dx + b * DXStride;
    for (std::size_t i = 0; i < full; i += N) detail::backward_input_block<N, OutStride>(g, wt + i * OutStride, row + i);
    if constexpr (In % N != 0) detail::backward_input_block<In % N, OutStride>(g, wt + full * OutStride, row + full);
    for (std::size_t i = (In + N - 1) / N * N; i < DXStride; ++i) row[i] = T(0);
  }
}

/// out[j] = sum_r a[r][j].
template <std::size_t Rows, std::size_t Stride, class T>
void column_sums(const T* CTNN_RESTRICT a, T* CTNN_RESTRICT out) noexcept {
  const tag<T> d;
  constexpr std::size_t N = lanes<T>;
  static_assert(Stride % N == 0, "column_sums: Stride must be a whole number of vectors");
  for (std::size_t j = 0; j < Stride; j += N) {
    auto sum = hn::Zero(d);
    for (std::size_t r = 0; r < Rows; ++r) sum = hn::Add(sum, hn::Load(d, a + r * Stride + j));
    hn::Store(sum, d, out + j);
  }
}

/// y = act(x) over Count values (a whole number of vectors, aligned).
template <class Act, std::size_t Count, class T>
void activation_forward(const T* x, T* y) noexcept {
  const tag<T> d;
  constexpr std::size_t N = lanes<T>;
  static_assert(Count % N == 0, "activation_forward: Count must be a whole number of vectors");
  for (std::size_t i = 0; i < Count; i += N) hn::Store(activate<Act>(d, hn::Load(d, x + i)), d, y + i);
}

/// dx = dy * act'(y) over Count values (in place allowed).
template <class Act, std::size_t Count, class T>
void activation_backward(const T* y, const T* dy, T* dx) noexcept {
  const tag<T> d;
  constexpr std::size_t N = lanes<T>;
  static_assert(Count % N == 0, "activation_backward: Count must be a whole number of vectors");
  for (std::size_t i = 0; i < Count; i += N)
    hn::Store(hn::Mul(hn::Load(d, dy + i), derivative_from_output<Act>(d, hn::Load(d, y + i))), d, dx + i);
}

/// sum of x[i]^2 in double over any n values, x unaligned: each vector widened to double
/// before it is squared, so no square passes the largest float or underflows (a float sum made
/// a layer whose gradients were below 3.7e-23 report a norm of 0 at batch > 1). Every gradient
/// norm the trainer measures. Four vectors a round into eight accumulators, each half loaded
/// and widened on its own: L's 109,776 parameters take 9.5 us, against 22 us with one vector a
/// round (two FMA chains, and a lane extraction per vector) and 5.7 us for the float sum this
/// replaced (bench/RESULTS.md). Against a scalar loop of eight double partial sums:
/// phase/T2/step 427 -> 397 ns, train/T2/ctnn 495 -> 350 ns.
template <class T>
CTNN_INLINE double sum_of_squares_in_double(const T* CTNN_RESTRICT x, std::size_t n) noexcept {
  double sum = 0;
  std::size_t i = 0;
#if HWY_TARGET != HWY_SCALAR  // one lane: no halves to widen
  const tag<T> d;
  constexpr std::size_t N = lanes<T>;
  const hn::Repartition<double, tag<T>> dd;
  hn::Vec<decltype(dd)> a[8];
  for (auto& acc : a) acc = hn::Zero(dd);
  const auto add = [&](std::size_t at, std::size_t k) CTNN_INLINE_LAMBDA {
    if constexpr (std::is_same_v<T, double>) {
      const auto v = hn::LoadU(d, x + at);
      a[2 * k] = hn::MulAdd(v, v, a[2 * k]);
    } else {
      // Each half loaded and widened on its own: one conversion per half, no lane extraction.
      const hn::Half<tag<T>> dh;
      const auto lo = hn::PromoteTo(dd, hn::LoadU(dh, x + at)), hi = hn::PromoteTo(dd, hn::LoadU(dh, x + at + N / 2));
      a[2 * k] = hn::MulAdd(lo, lo, a[2 * k]), a[2 * k + 1] = hn::MulAdd(hi, hi, a[2 * k + 1]);
    }
  };
  // Bounds computed once (i + N <= n made GCC 12 warn, falsely, that the scalar tail could run
  // past x for L's 784-value input row).
  const std::size_t round_end = n / (4 * N) * (4 * N), vector_end = n / N * N;
  for (; i < round_end; i += 4 * N)
    for (std::size_t k = 0; k < 4; ++k) add(i + k * N, k);
  for (; i < vector_end; i += N) add(i, 0);
  for (std::size_t width = 8; width > 1; width /= 2)
    for (std::size_t k = 0; k < width / 2; ++k) a[k] = hn::Add(a[k], a[k + width / 2]);
  sum = hn::GetLane(hn::SumOfLanes(dd, a[0]));
#endif
  for (; i < n; ++i) sum += double(x[i]) * double(x[i]);
  return sum;
}

// Fused update kernels (contracts in kernels/scalar.hpp): one vector pass over the parameter,
// its gradient and the optimizer state, in the scalar twin's order of operations. Before
// these, Adam's scalar loop (sqrt and division per parameter) was 68% of an L training step
// at batch 1 (bench/RESULTS.md).

namespace detail {
/// flush_subnormal of each lane (kernels/subnormal.hpp): zero where |v| < the smallest normal.
template <class D, class V>
CTNN_INLINE V flush_subnormal(D d, V v) noexcept {
  using T = hn::TFromD<D>;
  return hn::IfThenZeroElse(hn::Abs(v) < hn::Set(d, std::numeric_limits<T>::min()), v);
}
/// Row r of a gradient as a function of the column: a load, or a broadcast times a load.
template <class D, class T>
CTNN_INLINE auto gradient_row(D d, const stored_gradient<T>& g, std::size_t r, std::size_t width) noexcept {
  const T* values = g.values + r * width;
  return [d, values](std::size_t o) { return hn::Load(d, values + o); };
}
template <class D, class T>
CTNN_INLINE auto gradient_row(D d, const outer_product_gradient<T>& g, std::size_t r, std::size_t) noexcept {
  const auto coefficient = hn::Set(d, g.coefficient(r));
  const T* dz = g.dz;
  return [d, coefficient, dz](std::size_t o) { return hn::Mul(coefficient, hn::Load(d, dz + o)); };
}
}  // namespace detail

template <class T, class Gradient>
double sgd_update(T* CTNN_RESTRICT p, const Gradient& g, T* CTNN_RESTRICT b, std::size_t rows, std::size_t width,
                  const sgd_constants<T>& c) noexcept {
  const tag<T> d;
  constexpr std::size_t N = lanes<T>;
  const auto lr = hn::Set(d, c.learning_rate), mu = hn::Set(d, c.momentum), keep = hn::Set(d, c.keep),
             wd = hn::Set(d, c.weight_decay);
  auto moved = hn::Zero(d);
  for (std::size_t r = 0; r < rows; ++r) {
    const auto gradient = detail::gradient_row(d, g, r, width);
    for (std::size_t o = 0; o < width; o += N) {
      const std::size_t i = r * width + o;
      auto pv = hn::Load(d, p + i), dv = gradient(o);
      if (c.weight_decay != T(0)) dv = hn::Add(dv, hn::Mul(wd, pv));
      if (c.momentum != T(0)) {
        const auto bv = detail::flush_subnormal(d, c.first_step ? dv : hn::Add(hn::Mul(mu, hn::Load(d, b + i)), hn::Mul(keep, dv)));
        hn::Store(bv, d, b + i);
        dv = c.nesterov ? hn::Add(dv, hn::Mul(mu, bv)) : bv;
      }
      const auto update = hn::Mul(lr, dv);
      hn::Store(hn::Sub(pv, update), d, p + i);
      if (c.measure_update) moved = hn::MulAdd(update, update, moved);
    }
  }
  return c.measure_update ? double(hn::GetLane(hn::SumOfLanes(d, moved))) : 0.0;
}

template <class T, class Gradient>
double rmsprop_update(T* CTNN_RESTRICT p, const Gradient& g, T* CTNN_RESTRICT s, T* CTNN_RESTRICT b,
                      T* CTNN_RESTRICT a, std::size_t rows, std::size_t width, const rmsprop_constants<T>& c) noexcept {
  const tag<T> d;
  constexpr std::size_t N = lanes<T>;
  const auto lr = hn::Set(d, c.learning_rate), alpha = hn::Set(d, c.alpha), rest = hn::Set(d, c.rest),
             eps = hn::Set(d, c.eps), wd = hn::Set(d, c.weight_decay), mu = hn::Set(d, c.momentum);
  auto moved = hn::Zero(d);
  for (std::size_t r = 0; r < rows; ++r) {
    const auto gradient = detail::gradient_row(d, g, r, width);
    for (std::size_t o = 0; o < width; o += N) {
      const std::size_t i = r * width + o;
      const auto pv = hn::Load(d, p + i);
      auto dv = gradient(o);
      if (c.weight_decay != T(0)) dv = hn::Add(dv, hn::Mul(wd, pv));
      const auto sv = detail::flush_subnormal(d, hn::Add(hn::Mul(alpha, hn::Load(d, s + i)), hn::Mul(hn::Mul(rest, dv), dv)));
      hn::Store(sv, d, s + i);
      auto denom = hn::Sqrt(sv);
      if (c.centered) {
        const auto av = detail::flush_subnormal(d, hn::Add(hn::Mul(alpha, hn::Load(d, a + i)), hn::Mul(rest, dv)));
        hn::Store(av, d, a + i);
        denom = hn::Sqrt(hn::Sub(sv, hn::Mul(av, av)));
      }
      denom = hn::Add(denom, eps);
      vec<T> update;
      if (c.momentum > T(0)) {
        const auto bv = detail::flush_subnormal(d, hn::Add(hn::Mul(mu, hn::Load(d, b + i)), hn::Div(dv, denom)));
        hn::Store(bv, d, b + i);
        update = hn::Mul(lr, bv);
      } else {
        update = hn::Mul(lr, hn::Div(dv, denom));
      }
      hn::Store(hn::Sub(pv, update), d, p + i);
      moved = hn::MulAdd(update, update, moved);
    }
  }
  return double(hn::GetLane(hn::SumOfLanes(d, moved)));
}

template <bool Decoupled, bool AmsGrad, class T, class Gradient>
double adam_update(T* CTNN_RESTRICT p, const Gradient& g, T* CTNN_RESTRICT m, T* CTNN_RESTRICT v,
                   T* CTNN_RESTRICT v_max, std::size_t rows, std::size_t width, const adam_constants<T>& c) noexcept {
  const tag<T> d;
  constexpr std::size_t N = lanes<T>;
  const auto beta1 = hn::Set(d, c.beta1), beta2 = hn::Set(d, c.beta2), rest1 = hn::Set(d, c.rest1),
             rest2 = hn::Set(d, c.rest2), step_size = hn::Set(d, c.step_size),
             inverse_correction2_sqrt = hn::Set(d, c.inverse_correction2_sqrt), eps = hn::Set(d, c.eps), wd = hn::Set(d, c.weight_decay),
             decay = hn::Set(d, c.decay);
  auto moved = hn::Zero(d);
  for (std::size_t r = 0; r < rows; ++r) {
    const auto gradient = detail::gradient_row(d, g, r, width);
    for (std::size_t o = 0; o < width; o += N) {
      const std::size_t i = r * width + o;
      const auto old = hn::Load(d, p + i);
      auto pv = old, dv = gradient(o);
      if constexpr (Decoupled) {
        if (c.weight_decay != T(0)) pv = hn::Mul(pv, decay);
      } else {
        if (c.weight_decay != T(0)) dv = hn::Add(dv, hn::Mul(wd, pv));
      }
      const auto mv = detail::flush_subnormal(d, hn::Add(hn::Mul(beta1, hn::Load(d, m + i)), hn::Mul(rest1, dv)));
      const auto vv = detail::flush_subnormal(d, hn::Add(hn::Mul(beta2, hn::Load(d, v + i)), hn::Mul(hn::Mul(rest2, dv), dv)));
      hn::Store(mv, d, m + i);
      hn::Store(vv, d, v + i);
      auto v_hat = vv;
      if constexpr (AmsGrad) {
        const auto previous = hn::Load(d, v_max + i);
        v_hat = hn::IfThenElse(previous > vv, previous, vv);  // the scalar twin's choice, NaN included
        hn::Store(v_hat, d, v_max + i);
      }
      pv = hn::Sub(pv, hn::Mul(step_size, hn::Div(mv, hn::Add(hn::Mul(hn::Sqrt(v_hat), inverse_correction2_sqrt), eps))));
      hn::Store(pv, d, p + i);
      const auto delta = hn::Sub(pv, old);
      moved = hn::MulAdd(delta, delta, moved);
    }
  }
  return double(hn::GetLane(hn::SumOfLanes(d, moved)));
}

}  // namespace ctnn::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

namespace ctnn::kernels {
template <>
struct target_kernels<HWY_TARGET> {
  template <class Act, std::size_t M, std::size_t K, std::size_t ARow, std::size_t ACol, std::size_t Stride, class T>
  static constexpr auto gemm_bcast = &HWY_NAMESPACE::gemm_bcast<Act, M, K, ARow, ACol, Stride, T>;
  template <std::size_t Batch, std::size_t In, std::size_t DXStride, std::size_t OutStride, class T>
  static constexpr auto dense_backward_input = &HWY_NAMESPACE::dense_backward_input<Batch, In, DXStride, OutStride, T>;
  template <std::size_t Rows, std::size_t Stride, class T>
  static constexpr auto column_sums = &HWY_NAMESPACE::column_sums<Rows, Stride, T>;
  template <class Act, std::size_t Count, class T>
  static constexpr auto activation_forward = &HWY_NAMESPACE::activation_forward<Act, Count, T>;
  template <class Act, std::size_t Count, class T>
  static constexpr auto activation_backward = &HWY_NAMESPACE::activation_backward<Act, Count, T>;
  template <class T>
  static constexpr auto sum_of_squares_in_double = &HWY_NAMESPACE::sum_of_squares_in_double<T>;
  template <class T, class Gradient>
  static constexpr auto sgd_update = &HWY_NAMESPACE::sgd_update<T, Gradient>;
  template <class T, class Gradient>
  static constexpr auto rmsprop_update = &HWY_NAMESPACE::rmsprop_update<T, Gradient>;
  template <bool Decoupled, bool AmsGrad, class T, class Gradient>
  static constexpr auto adam_update = &HWY_NAMESPACE::adam_update<Decoupled, AmsGrad, T, Gradient>;
};
}  // namespace ctnn::kernels

#endif  // per-target guard
#endif  // !CTNN_PURE_SCALAR
