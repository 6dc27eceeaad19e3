// ctnn/kernels/simd.hpp - Highway kernels (static dispatch), same contracts as kernels/scalar.hpp.
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
// the end: four chains cover the 4-cycle FMA latency of current x86 cores.
#pragma once

#include "../config.hpp"

#if !defined(CTNN_PURE_SCALAR)

#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "../layers/activations.hpp"

namespace ctnn::kernels::simd {

namespace hn = hwy::HWY_NAMESPACE;

template <class T>
using tag = hn::ScalableTag<T>;
template <class T>
using vec = hn::Vec<tag<T>>;

/// Architectural vector registers: 32 with AVX-512, 16 otherwise; bounds the block size.
inline constexpr std::size_t vector_registers = (HWY_TARGET <= HWY_AVX3) ? 32 : 16;

/// The activation applied to a vector (Highway contrib/math for tanh; sigmoid from tanh:
/// sigmoid(x) = 0.5 * tanh(x / 2) + 0.5, which keeps the absolute error below 5e-7).
template <class Act, class D, class V>
CTNN_INLINE V activate(D d, V v) noexcept {
  using T = hn::TFromD<D>;
  if constexpr (Act::kind == activation_kind::identity) {
    return v;
  } else if constexpr (Act::kind == activation_kind::relu) {
    return hn::Max(v, hn::Zero(d));
  } else if constexpr (Act::kind == activation_kind::leaky_relu) {
    return hn::IfThenElse(v > hn::Zero(d), v, hn::Mul(v, hn::Set(d, T(Act::slope))));
  } else if constexpr (Act::kind == activation_kind::tanh) {
    return hn::Tanh(d, v);
  } else {
    static_assert(Act::kind == activation_kind::sigmoid);
    const auto half = hn::Set(d, T(0.5));
    return hn::MulAdd(hn::Tanh(d, hn::Mul(v, half)), half, half);
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
    return hn::IfThenElse(y > hn::Zero(d), one, hn::Set(d, T(Act::slope)));
  } else if constexpr (Act::kind == activation_kind::tanh) {
    return hn::NegMulAdd(y, y, one);
  } else {
    return hn::Mul(y, hn::Sub(one, y));
  }
}

namespace detail {

/// One R x C block of gemm_bcast: R rows, C output vectors, Split interleaved reductions.
template <class Act, std::size_t R, std::size_t C, std::size_t Split, std::size_t K, std::size_t ARow,
          std::size_t ACol, std::size_t Stride, class T>
CTNN_INLINE void gemm_block(const T* CTNN_RESTRICT a, const T* CTNN_RESTRICT b, const T* CTNN_RESTRICT init,
                            T* CTNN_RESTRICT c) noexcept {
  const tag<T> d;
  constexpr std::size_t N = simd_lanes<T>;
  vec<T> acc[Split][R][C];
  for (std::size_t s = 0; s < Split; ++s)
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t j = 0; j < C; ++j)
        acc[s][r][j] = (s == 0 && init != nullptr) ? hn::Load(d, init + j * N) : hn::Zero(d);

  constexpr std::size_t main_k = K / Split * Split;
  for (std::size_t k = 0; k < main_k; k += Split) {
    for (std::size_t s = 0; s < Split; ++s) {
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
  for (std::size_t r = 0; r < R; ++r) {
    for (std::size_t j = 0; j < C; ++j) {
      auto sum = acc[0][r][j];
      for (std::size_t s = 1; s < Split; ++s) sum = hn::Add(sum, acc[s][r][j]);
      hn::Store(activate<Act>(d, sum), d, c + r * Stride + j * N);
    }
  }
}

/// Interleaved reductions needed so that R*C*Split >= 4 independent FMA chains.
constexpr std::size_t split_for(std::size_t r, std::size_t c, std::size_t k) noexcept {
  const std::size_t chains = r * c;
  const std::size_t want = chains >= 4 ? 1 : 4 / chains;
  return std::min(want, k == 0 ? std::size_t{1} : k);
}

template <class Act, std::size_t R, std::size_t C, std::size_t K, std::size_t ARow, std::size_t ACol,
          std::size_t Stride, class T>
CTNN_INLINE void gemm_row_block(const T* a, const T* b, const T* init, T* c) noexcept {
  constexpr std::size_t N = simd_lanes<T>;
  constexpr std::size_t V = Stride / N;
  constexpr std::size_t full = V / C * C;
  for (std::size_t j = 0; j < full; j += C)
    gemm_block<Act, R, C, split_for(R, C, K), K, ARow, ACol, Stride>(a, b + j * N, init ? init + j * N : nullptr,
                                                                    c + j * N);
  if constexpr (V % C != 0)
    gemm_block<Act, R, V % C, split_for(R, V % C, K), K, ARow, ACol, Stride>(
        a, b + full * N, init ? init + full * N : nullptr, c + full * N);
}

}  // namespace detail

/// c[r][j] = act(init[j] + sum_k a[r*ARow + k*ACol] * b[k][j]); see kernels/scalar.hpp.
template <class Act, std::size_t M, std::size_t K, std::size_t ARow, std::size_t ACol, std::size_t Stride, class T>
void gemm_bcast(const T* a, const T* b, const std::type_identity_t<T>* init, T* c) noexcept {
  constexpr std::size_t N = simd_lanes<T>;
  static_assert(Stride % N == 0, "gemm_bcast: the output stride must be a whole number of vectors");
  constexpr std::size_t V = Stride / N;
  // Batch 1: up to 8 accumulators across the outputs. Batches: 4 output vectors and as many
  // rows as the register file holds (R*C accumulators + C weights + 1 broadcast).
  constexpr std::size_t C = std::min<std::size_t>(V, M == 1 ? 8 : 4);
  constexpr std::size_t R = M == 1 ? 1 : std::clamp<std::size_t>((vector_registers - C - 1) / C, 1, std::min<std::size_t>(M, 6));
  constexpr std::size_t full = M / R * R;
  for (std::size_t r = 0; r < full; r += R)
    detail::gemm_row_block<Act, R, C, K, ARow, ACol, Stride>(a + r * ARow, b, init, c + r * Stride);
  if constexpr (M % R != 0)
    detail::gemm_row_block<Act, M % R, C, K, ARow, ACol, Stride>(a + full * ARow, b, init, c + full * Stride);
}

namespace detail {

/// dx[b][i] for R samples x P weight rows: P*R dot products over OutStride.
template <std::size_t R, std::size_t P, std::size_t DXStride, std::size_t OutStride, class T>
CTNN_INLINE void backward_input_block(const T* CTNN_RESTRICT dz, const T* CTNN_RESTRICT wt,
                                      T* CTNN_RESTRICT dx) noexcept {
  const tag<T> d;
  constexpr std::size_t N = simd_lanes<T>;
  vec<T> acc[R][P];
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t p = 0; p < P; ++p) acc[r][p] = hn::Zero(d);
  for (std::size_t o = 0; o < OutStride; o += N) {
    vec<T> w[P];
    for (std::size_t p = 0; p < P; ++p) w[p] = hn::Load(d, wt + p * OutStride + o);
    for (std::size_t r = 0; r < R; ++r) {
      const auto g = hn::Load(d, dz + r * OutStride + o);
      for (std::size_t p = 0; p < P; ++p) acc[r][p] = hn::MulAdd(g, w[p], acc[r][p]);
    }
  }
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t p = 0; p < P; ++p) dx[r * DXStride + p] = hn::GetLane(hn::SumOfLanes(d, acc[r][p]));
}

template <std::size_t R, std::size_t In, std::size_t DXStride, std::size_t OutStride, class T>
CTNN_INLINE void backward_input_rows(const T* dz, const T* wt, T* dx) noexcept {
  constexpr std::size_t P = 4;
  constexpr std::size_t full = In / P * P;
  for (std::size_t i = 0; i < full; i += P)
    backward_input_block<R, P, DXStride, OutStride>(dz, wt + i * OutStride, dx + i);
  if constexpr (In % P != 0)
    backward_input_block<R, In % P, DXStride, OutStride>(dz, wt + full * OutStride, dx + full);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t i = In; i < DXStride; ++i) dx[r * DXStride + i] = T(0);
}

}  // namespace detail

/// dx[b][i] = sum_o dz[b][o] * wt[i][o]; padded lanes of dx are zeroed.
template <std::size_t Batch, std::size_t In, std::size_t DXStride, std::size_t OutStride, class T>
void dense_backward_input(const T* dz, const T* wt, T* dx) noexcept {
  static_assert(OutStride % simd_lanes<T> == 0, "dense_backward_input: OutStride must be a whole number of vectors");
  constexpr std::size_t R = 2;
  constexpr std::size_t full = Batch / R * R;
  for (std::size_t b = 0; b < full; b += R)
    detail::backward_input_rows<R, In, DXStride, OutStride>(dz + b * OutStride, wt, dx + b * DXStride);
  if constexpr (Batch % R != 0)
    detail::backward_input_rows<Batch % R, In, DXStride, OutStride>(dz + full * OutStride, wt, dx + full * DXStride);
}

/// out[j] = sum_r a[r][j].
template <std::size_t Rows, std::size_t Stride, class T>
void column_sums(const T* CTNN_RESTRICT a, T* CTNN_RESTRICT out) noexcept {
  const tag<T> d;
  constexpr std::size_t N = simd_lanes<T>;
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
  constexpr std::size_t N = simd_lanes<T>;
  static_assert(Count % N == 0, "activation_forward: Count must be a whole number of vectors");
  for (std::size_t i = 0; i < Count; i += N) hn::Store(activate<Act>(d, hn::Load(d, x + i)), d, y + i);
}

/// dx = dy * act'(y) over Count values (in place allowed).
template <class Act, std::size_t Count, class T>
void activation_backward(const T* y, const T* dy, T* dx) noexcept {
  const tag<T> d;
  constexpr std::size_t N = simd_lanes<T>;
  static_assert(Count % N == 0, "activation_backward: Count must be a whole number of vectors");
  for (std::size_t i = 0; i < Count; i += N)
    hn::Store(hn::Mul(hn::Load(d, dy + i), derivative_from_output<Act>(d, hn::Load(d, y + i))), d, dx + i);
}

}  // namespace ctnn::kernels::simd

#endif  // !CTNN_PURE_SCALAR
