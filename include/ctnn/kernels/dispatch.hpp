// ctnn/kernels/dispatch.hpp - dynamic dispatch (CTNN_DYNAMIC_DISPATCH): each kernel entry point
// calls the best compiled target's through a table, so one binary runs on any x86-64 CPU.
//
// The choice is Highway's (hwy::GetChosenTarget(), shared with HWY_DYNAMIC_DISPATCH and reset
// by hwy::SetSupportedTargetsForTest), and the tables follow its layout: entry 0 for "not
// chosen yet", one per dynamic target, the SCALAR/EMU128 fallback last. Dispatch is per kernel
// call, not per network call: the layers and the trainer stay one target-independent
// instantiation and only the kernels (kernels/simd.hpp) are compiled per target. What a call
// costs is in bench/RESULTS.md.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <hwy/highway.h>

#include "../config.hpp"
#include "optimizer_constants.hpp"
// target_kernels<Target> come from kernels/simd.hpp's per-target passes, which kernels/kernels.hpp
// runs before including this header (simd.hpp cannot be included again from here).

namespace ctnn::kernels::dispatched {
namespace detail {

inline constexpr std::size_t table_size = HWY_MAX_DYNAMIC_TARGETS + 2;

/// A target's entry in Highway's dispatch tables (HWY_CHOSEN_TARGET_SHIFT, hwy/targets.h).
constexpr std::size_t table_index(std::int64_t target) noexcept {
  if (target == HWY_SCALAR || target == HWY_EMU128) return table_size - 1;
  return std::size_t(1 + std::countr_zero(std::uint64_t(target)) -
                     (HWY_HIGHEST_TARGET_BIT + 1 - HWY_MAX_DYNAMIC_TARGETS));
}

template <std::int64_t Targets, std::int64_t Target, class Fn, class Entry>
constexpr void register_target(std::array<Fn, table_size>& table, Entry entry) noexcept {
  if constexpr ((Targets & Target) != 0) table[table_index(Target)] = entry.template operator()<Target>();
}

/// `entry.operator()<Target>()` for every compiled target, at its index: one kernel
/// instantiation's function pointers, or (chosen_target) the targets themselves.
template <std::int64_t Targets, class Fn, class Entry>
constexpr std::array<Fn, table_size> make_table(Entry entry) noexcept {
  std::array<Fn, table_size> table{};
  [&]<std::size_t... Bit>(std::index_sequence<Bit...>) {
    (register_target<Targets, (std::int64_t{1} << Bit)>(table, entry), ...);
  }(std::make_index_sequence<63>{});
  // Highway's fallback when neither SCALAR nor EMU128 was compiled (a -march above x86-64).
  if (table.back() == Fn{}) table.back() = entry.template operator()<HWY_STATIC_TARGET>();
  return table;
}

/// Index of the chosen target in every table; chooses (CPUID, once) on the first call. Read
/// once: a second read could see a choice reset in between (index 0, no function there).
/// `Targets` (this translation unit's HWY_TARGETS) keeps translation units compiled with
/// different target sets (HWY_DISABLED_TARGETS, HWY_WANT_AVX3_DL) from sharing one table.
template <std::int64_t Targets>
std::size_t chosen_index() noexcept {
  static hwy::ChosenTarget& chosen = hwy::GetChosenTarget();
  std::size_t index = chosen.GetIndex();
  if (index == 0) [[unlikely]] {
    chosen.Update(hwy::SupportedTargets());
    index = chosen.GetIndex();
  }
  return index;
}

/// Calls the chosen target's instantiation of a kernel. `entry` is a captureless lambda
/// template mapping a target to its function pointer (target_kernels<Target>::...).
template <std::int64_t Targets, class Entry, class... Args>
CTNN_INLINE auto call(Entry entry, Args&&... args) noexcept {
  using function = decltype(entry.template operator()<HWY_STATIC_TARGET>());
  static constexpr std::array<function, table_size> table = make_table<Targets, function>(entry);
  return table[chosen_index<Targets>()](std::forward<Args>(args)...);
}

}  // namespace detail

/// The Highway target the kernels run on (HWY_AVX3, HWY_AVX2, ...), for reports.
inline std::int64_t chosen_target() noexcept {
  static constexpr auto targets = detail::make_table<HWY_TARGETS, std::int64_t>([]<std::int64_t X> { return X; });
  return targets[detail::chosen_index<HWY_TARGETS>()];
}

// The entry points of kernels/simd.hpp, with the same template parameters and contracts.

template <class Act, std::size_t M, std::size_t K, std::size_t ARow, std::size_t ACol, std::size_t Stride, class T>
void gemm_bcast(const T* a, const T* b, const std::type_identity_t<T>* init, T* c) noexcept {
  detail::call<HWY_TARGETS>([]<std::int64_t X> { return target_kernels<X>::template gemm_bcast<Act, M, K, ARow, ACol, Stride, T>; },
               a, b, init, c);
}

template <std::size_t Batch, std::size_t In, std::size_t DXStride, std::size_t OutStride, class T>
void dense_backward_input(const T* dz, const T* wt, T* dx) noexcept {
  detail::call<HWY_TARGETS>([]<std::int64_t X> { return target_kernels<X>::template dense_backward_input<Batch, In, DXStride, OutStride, T>; },
               dz, wt, dx);
}

template <std::size_t Rows, std::size_t Stride, class T>
void column_sums(const T* a, T* out) noexcept {
  detail::call<HWY_TARGETS>([]<std::int64_t X> { return target_kernels<X>::template column_sums<Rows, Stride, T>; }, a, out);
}

template <class Act, std::size_t Count, class T>
void activation_forward(const T* x, T* y) noexcept {
  detail::call<HWY_TARGETS>([]<std::int64_t X> { return target_kernels<X>::template activation_forward<Act, Count, T>; }, x, y);
}

template <class Act, std::size_t Count, class T>
void activation_backward(const T* y, const T* dy, T* dx) noexcept {
  detail::call<HWY_TARGETS>([]<std::int64_t X> { return target_kernels<X>::template activation_backward<Act, Count, T>; }, y, dy, dx);
}

template <class T>
double sum_of_squares_in_double(const T* x, std::size_t n) noexcept {
  return detail::call<HWY_TARGETS>([]<std::int64_t X> { return target_kernels<X>::template sum_of_squares_in_double<T>; },
                                   x, n);
}

template <class T, class Gradient>
double sgd_update(T* p, const Gradient& g, T* b, std::size_t rows, std::size_t width, const sgd_constants<T>& c) noexcept {
  return detail::call<HWY_TARGETS>([]<std::int64_t X> { return target_kernels<X>::template sgd_update<T, Gradient>; },
                      p, g, b, rows, width, c);
}

template <class T, class Gradient>
double rmsprop_update(T* p, const Gradient& g, T* s, T* b, T* a, std::size_t rows, std::size_t width,
                      const rmsprop_constants<T>& c) noexcept {
  return detail::call<HWY_TARGETS>([]<std::int64_t X> { return target_kernels<X>::template rmsprop_update<T, Gradient>; },
                      p, g, s, b, a, rows, width, c);
}

template <bool Decoupled, bool AmsGrad, class T, class Gradient>
double adam_update(T* p, const Gradient& g, T* m, T* v, T* v_max, std::size_t rows, std::size_t width,
                   const adam_constants<T>& c) noexcept {
  return detail::call<HWY_TARGETS>([]<std::int64_t X> { return target_kernels<X>::template adam_update<Decoupled, AmsGrad, T, Gradient>; },
                      p, g, m, v, v_max, rows, width, c);
}

}  // namespace ctnn::kernels::dispatched
