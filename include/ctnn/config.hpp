// ctnn/config.hpp - build configuration shared by every header.
//
// The kernel back end is chosen at compile time, one for the whole program (every translation
// unit that includes ctnn must agree, as with any -D that changes inline code):
//   * default: Google Highway with static dispatch. The compiler's -march decides the
//     target (AVX3_DL with -march=native -DHWY_WANT_AVX3_DL here, SCALAR with no -march
//     and on Cortex-M).
//   * CTNN_DYNAMIC_DISPATCH defined (x86 only; link libhwy): Highway kernels compiled for every
//     x86 target, the best one the CPU supports chosen at run time (kernels/dispatch.hpp). Build
//     without -march so that the rest of the program runs on any x86-64 CPU.
//   * CTNN_PURE_SCALAR defined: plain C++ loops, no Highway header is included at all.
//     The same loops are the test oracle for the Highway kernels (kernels/scalar.hpp).
#pragma once

#include <cstddef>

#if defined(CTNN_DYNAMIC_DISPATCH) && defined(CTNN_PURE_SCALAR)
#error "ctnn: CTNN_DYNAMIC_DISPATCH and CTNN_PURE_SCALAR exclude each other; define one"
#endif
#if defined(CTNN_DYNAMIC_DISPATCH) && !(defined(__x86_64__) || defined(_M_X64) || defined(__i386__))
#error "ctnn: CTNN_DYNAMIC_DISPATCH is for x86 (buffers are laid out for 64-byte vectors); elsewhere use static dispatch"
#endif
// With dynamic dispatch, highway.h must first be included by hwy/foreach_target.h
// (kernels/kernels.hpp): nothing before it may include it for the static target only.
#if !defined(CTNN_PURE_SCALAR) && !defined(CTNN_DYNAMIC_DISPATCH)
#include <hwy/highway.h>
#endif

// CTNN_INLINE_LAMBDA goes after a lambda's parameter list.
#if defined(__GNUC__)
#define CTNN_INLINE inline __attribute__((always_inline))
#define CTNN_INLINE_LAMBDA __attribute__((always_inline))
#define CTNN_RESTRICT __restrict__
#else
#define CTNN_INLINE inline
#define CTNN_INLINE_LAMBDA
#define CTNN_RESTRICT
#endif

namespace ctnn {

/// Number of `T` lanes every buffer's rows are padded to: one SIMD vector of the static target,
/// or of the widest x86 target (AVX-512, 64 bytes) under dynamic dispatch, so that one layout
/// serves every target the binary may choose (each kernel steps by its own vector width, which
/// divides this one).
#if defined(CTNN_PURE_SCALAR)
template <class T>
inline constexpr std::size_t simd_lanes = 1;
#elif defined(CTNN_DYNAMIC_DISPATCH)
template <class T>
inline constexpr std::size_t simd_lanes = 64 / sizeof(T);
#else
template <class T>
inline constexpr std::size_t simd_lanes = hwy::HWY_NAMESPACE::MaxLanes(hwy::HWY_NAMESPACE::ScalableTag<T>());
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
