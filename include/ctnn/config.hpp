// ctnn/config.hpp - build configuration shared by every header.
//
// The kernel back end is chosen at compile time:
//   * default: Google Highway with static dispatch. The compiler's -march decides the
//     target (AVX3_DL with -march=native -DHWY_WANT_AVX3_DL here, SCALAR with no -march
//     and on Cortex-M).
//   * CTNN_PURE_SCALAR defined: plain C++ loops, no Highway header is included at all.
//     The same loops are the test oracle for the Highway kernels (kernels/scalar.hpp).
#pragma once

#include <cstddef>

#if !defined(CTNN_PURE_SCALAR)
#include <hwy/highway.h>
#endif

#if defined(__GNUC__)
#define CTNN_INLINE inline __attribute__((always_inline))
#define CTNN_RESTRICT __restrict__
#else
#define CTNN_INLINE inline
#define CTNN_RESTRICT
#endif

namespace ctnn {

#if defined(CTNN_PURE_SCALAR)
/// Number of `T` lanes in one SIMD vector of the active kernel back end.
template <class T>
inline constexpr std::size_t simd_lanes = 1;
/// Name of the active kernel back end, for reports and benchmark tables.
inline constexpr const char* kernel_backend() noexcept { return "pure-scalar"; }
#else
template <class T>
inline constexpr std::size_t simd_lanes = hwy::HWY_NAMESPACE::MaxLanes(hwy::HWY_NAMESPACE::ScalableTag<T>());
inline const char* kernel_backend() noexcept { return hwy::TargetName(HWY_STATIC_TARGET); }
#endif

/// Alignment of every parameter and activation buffer: one full vector, at least 16 bytes.
template <class T>
inline constexpr std::size_t simd_alignment =
    simd_lanes<T> * sizeof(T) < 16 ? 16 : simd_lanes<T> * sizeof(T);

/// `n` rounded up to a whole number of vectors: the row stride of every padded buffer.
template <class T>
constexpr std::size_t padded(std::size_t n) noexcept {
  return (n + simd_lanes<T> - 1) / simd_lanes<T> * simd_lanes<T>;
}

}  // namespace ctnn
