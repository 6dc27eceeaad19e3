// Kernel checks shared by kernels_test.cpp (the static target's kernels) and dispatch_test.cpp
// (the dispatched ones, under each target): each kernel of the namespace `under_test`, which the
// including file declares (an alias) before including this, against its scalar twin.
#pragma once

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include <ctnn/ctnn.hpp>

#include "aligned.hpp"
#include "worst.hpp"

namespace kernel_checks {

namespace scalar = ctnn::kernels::scalar;

/// Buffers of random values of exactly their (padded) size: under AddressSanitizer a kernel
/// that reads or writes one element past its buffer is reported.
template <class T>
using aligned_buffer = test_support::aligned_array<T>;

template <class T>
double tolerance(std::size_t terms) {
  // Reassociated sums of `terms` products of values in [-1, 1].
  return (std::is_same_v<T, float> ? 4e-6 : 1e-13) * double(terms + 1);
}

template <class T>
void expect_close(const T* got, const T* want, std::size_t n, double tol, const char* what, std::size_t a,
                  std::size_t b) {
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) worst = worst_of(worst, std::abs(double(got[i]) - double(want[i])));
  BOOST_TEST(worst <= tol, what << " in=" << a << " out=" << b << ": max |kernel - scalar| = " << worst
                                << " > " << tol);
}

struct simd_tag {};
struct scalar_tag {};

/// Dense forward (gemm_bcast as y = act(x W^T + b)) and the three backward kernels.
template <class T, class Act, std::size_t Batch, std::size_t In, std::size_t Out>
void check_dense_kernels() {
  constexpr std::size_t S = ctnn::padded<T>(Out);
  constexpr std::size_t XS = ctnn::padded<T>(In);
  aligned_buffer<T> x(Batch * XS, 1), wt(In * S, 2), bias(S, 3), y1(Batch * S, 4), y2(Batch * S, 4);
  under_test::gemm_bcast<Act, Batch, In, XS, 1, S>(x.data(), wt.data(), bias.data(), y1.data());
  scalar::gemm_bcast<Act, Batch, In, XS, 1, S>(x.data(), wt.data(), bias.data(), y2.data());
  expect_close(y1.data(), y2.data(), Batch * S, tolerance<T>(In), "gemm_bcast forward", In, Out);

  // Unpadded input rows (the first layer reads the user's array directly).
  under_test::gemm_bcast<Act, Batch, In, In, 1, S>(x.data(), wt.data(), nullptr, y1.data());
  scalar::gemm_bcast<Act, Batch, In, In, 1, S>(x.data(), wt.data(), nullptr, y2.data());
  expect_close(y1.data(), y2.data(), Batch * S, tolerance<T>(In), "gemm_bcast unpadded, no bias", In, Out);

  // Weight gradient: dwt[i][o] = sum_b x[b][i] dz[b][o].
  aligned_buffer<T> dz(Batch * S, 5), dw1(In * S, 6), dw2(In * S, 6);
  under_test::gemm_bcast<ctnn::identity, In, Batch, 1, XS, S>(x.data(), dz.data(), nullptr, dw1.data());
  scalar::gemm_bcast<ctnn::identity, In, Batch, 1, XS, S>(x.data(), dz.data(), nullptr, dw2.data());
  expect_close(dw1.data(), dw2.data(), In * S, tolerance<T>(Batch), "weight gradient", In, Out);

  aligned_buffer<T> db1(S, 7), db2(S, 7);
  under_test::column_sums<Batch, S>(dz.data(), db1.data());
  scalar::column_sums<Batch, S>(dz.data(), db2.data());
  expect_close(db1.data(), db2.data(), S, tolerance<T>(Batch), "column_sums", In, Out);

  aligned_buffer<T> dx1(Batch * XS, 8), dx2(Batch * XS, 9);
  under_test::dense_backward_input<Batch, In, XS, S>(dz.data(), wt.data(), dx1.data());
  scalar::dense_backward_input<Batch, In, XS, S>(dz.data(), wt.data(), dx2.data());
  expect_close(dx1.data(), dx2.data(), Batch * XS, tolerance<T>(S), "dense_backward_input", In, Out);

  aligned_buffer<T> a1(Batch * S, 10), a2(Batch * S, 10);
  under_test::activation_forward<Act, Batch * S>(y2.data(), a1.data());
  scalar::activation_forward<Act, Batch * S>(y2.data(), a2.data());
  expect_close(a1.data(), a2.data(), Batch * S, 1e-6, "activation_forward", In, Out);
  under_test::activation_backward<Act, Batch * S>(a2.data(), dz.data(), a1.data());
  scalar::activation_backward<Act, Batch * S>(a2.data(), dz.data(), a2.data());
  expect_close(a1.data(), a2.data(), Batch * S, 1e-6, "activation_backward", In, Out);
}

template <class T>
void expect_close_buffers(aligned_buffer<T>& a, aligned_buffer<T>& b, std::size_t n, const char* what) {
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i)
    worst = worst_of(worst, std::abs(double(a.data()[i]) - double(b.data()[i])) / (1 + std::abs(double(b.data()[i]))));
  BOOST_TEST(worst <= 1e-6, what << " n=" << n << ": max relative difference " << worst);
}

/// Runs update(impl, p, gradient, s1, s2, s3, rows, width) for the SIMD and the scalar kernel
/// on equal copies and compares every buffer and the returned update norms. The gradient is
/// stored (one row of the whole buffer), or a batch-1 outer product (rows - 1 input values and
/// the bias row, times a clipping scale), which must also update exactly as its stored form.
template <class T, class Update>
void check_update(const char* what, Update update) {
  constexpr std::size_t N = ctnn::simd_lanes<T>;
  for (std::size_t vectors : {1, 2, 3, 9})
    for (std::size_t rows : {1, 2, 5}) {
      const std::size_t width = vectors * N, n = rows * width;
      // Three copies of (p, s1, s2, s3): SIMD, scalar, and scalar on the materialized gradient.
      aligned_buffer<T> p1(n, 11), a1(n, 13), b1(n, 14), c1(n, 15);
      aligned_buffer<T> p2(n, 11), a2(n, 13), b2(n, 14), c2(n, 15);
      aligned_buffer<T> p3(n, 11), a3(n, 13), b3(n, 14), c3(n, 15);
      for (auto* buffer : {&a1, &a2, &a3, &b1, &b2, &b3}) {  // state that must be non-negative (second moments)
        T* x = buffer->data();
        for (std::size_t i = 0; i < n; ++i) x[i] = x[i] * x[i] + T(0.5);
      }
      aligned_buffer<T> g(n, 12), x(rows, 16), dz(width, 17), materialized(n, 0);
      const ctnn::kernels::stored_gradient<T> stored{g.data()};
      const ctnn::kernels::outer_product_gradient<T> outer{x.data(), rows - 1, dz.data(), T(0.75)};
      // The outer product's contract restated here, not read through gradient_at (which the
      // scalar kernel calls): row r is x[r] * scale * dz for an input row, scale * dz for the bias.
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t r = i / width;
        const T coefficient = (r + 1 < rows ? x.data()[r] : T(1)) * T(0.75);
        materialized.data()[i] = coefficient * dz.data()[i % width];
      }

      const double m1 = update(simd_tag{}, p1.data(), stored, a1.data(), b1.data(), c1.data(), std::size_t{1}, n);
      const double m2 = update(scalar_tag{}, p2.data(), stored, a2.data(), b2.data(), c2.data(), std::size_t{1}, n);
      for (auto [x1, x2] : {std::pair{&p1, &p2}, std::pair{&a1, &a2}, std::pair{&b1, &b2}, std::pair{&c1, &c2}})
        expect_close_buffers(*x1, *x2, n, what);
      BOOST_TEST(std::abs(m1 - m2) <= 1e-5 * (1 + m2), what << ": update norms " << m1 << " vs " << m2);

      const double o1 = update(simd_tag{}, p1.data(), outer, a1.data(), b1.data(), c1.data(), rows, width);
      const double o2 = update(scalar_tag{}, p2.data(), outer, a2.data(), b2.data(), c2.data(), rows, width);
      for (auto [x1, x2] : {std::pair{&p1, &p2}, std::pair{&a1, &a2}, std::pair{&b1, &b2}, std::pair{&c1, &c2}})
        expect_close_buffers(*x1, *x2, n, what);
      BOOST_TEST(std::abs(o1 - o2) <= 1e-5 * (1 + o2), what << " (outer product): update norms " << o1 << " vs " << o2);

      // The outer-product source reads the values of its stored form (up to the compiler
      // contracting coefficient * dz into the kernel's next operation).
      (void)update(scalar_tag{}, p3.data(), stored, a3.data(), b3.data(), c3.data(), std::size_t{1}, n);
      const double o3 = update(scalar_tag{}, p3.data(), ctnn::kernels::stored_gradient<T>{materialized.data()}, a3.data(),
                               b3.data(), c3.data(), std::size_t{1}, n);
      for (auto [x2, x3] : {std::pair{&p2, &p3}, std::pair{&a2, &a3}, std::pair{&b2, &b3}, std::pair{&c2, &c3}})
        expect_close_buffers(*x2, *x3, n, what);
      BOOST_TEST(std::abs(o2 - o3) <= 1e-5 * (1 + o3), what << " (outer product vs stored): " << o2 << " vs " << o3);
    }
}

/// The fused optimizer kernels and the sum of squares, against their scalar twins, over buffers
/// of 1 to 9 vectors with every option combination the optimizers pass.
inline void check_optimizer_kernels() {
  using T = float;
  for (bool momentum : {false, true})
    for (bool nesterov : {false, true})
      for (bool first : {false, true})
        for (float wd : {0.0f, 0.01f})
          for (bool measure : {true, false}) {  // unmeasured, both return 0 and update the same
            const ctnn::kernels::sgd_constants<T> c{
                0.1f, momentum ? 0.9f : 0.0f, 0.7f, wd, nesterov && momentum, first, measure};
            check_update<T>(measure ? "sgd_update" : "sgd_update (unmeasured)",
                            [&](auto impl, T* p, const auto& g, T* b, T*, T*, std::size_t rows, std::size_t width) {
                              double moved;
                              if constexpr (std::is_same_v<decltype(impl), simd_tag>)
                                moved = under_test::sgd_update(p, g, b, rows, width, c);
                              else
                                moved = scalar::sgd_update(p, g, b, rows, width, c);
                              if (!measure) BOOST_TEST(moved == 0.0, "sgd_update (unmeasured) returned " << moved);
                              return moved;
                            });
          }
  for (bool centered : {false, true})
    for (float momentum : {0.0f, 0.5f}) {
      const ctnn::kernels::rmsprop_constants<T> c{0.01f, 0.99f, 0.01f, 1e-8f, 0.01f, momentum, centered};
      check_update<T>("rmsprop_update", [&](auto impl, T* p, const auto& g, T* s, T* b, T* a, std::size_t rows,
                                            std::size_t width) {
        // centered: keep s - a^2 positive
        for (std::size_t i = 0; i < rows * width; ++i) a[i] = a[i] * T(0.1);
        if constexpr (std::is_same_v<decltype(impl), simd_tag>) return under_test::rmsprop_update(p, g, s, b, a, rows, width, c);
        else return scalar::rmsprop_update(p, g, s, b, a, rows, width, c);
      });
    }
  const ctnn::kernels::adam_constants<T> c{0.9f, 0.999f, 0.1f, 0.001f, 0.05f, 0.3f, 1e-8f, 0.01f, 0.999f};
  check_update<T>("adam_update", [&](auto impl, T* p, const auto& g, T* m, T* v, T*, std::size_t rows, std::size_t width) {
    if constexpr (std::is_same_v<decltype(impl), simd_tag>)
      return under_test::adam_update<false, false>(p, g, m, v, static_cast<T*>(nullptr), rows, width, c);
    else return scalar::adam_update<false, false>(p, g, m, v, static_cast<T*>(nullptr), rows, width, c);
  });
  check_update<T>("adamw_amsgrad_update", [&](auto impl, T* p, const auto& g, T* m, T* v, T* v_max, std::size_t rows,
                                              std::size_t width) {
    if constexpr (std::is_same_v<decltype(impl), simd_tag>) return under_test::adam_update<true, true>(p, g, m, v, v_max, rows, width, c);
    else return scalar::adam_update<true, true>(p, g, m, v, v_max, rows, width, c);
  });
  // In double over any count from an unaligned start; values whose squares pass the largest
  // float must not overflow, and values whose squares fall below the smallest must count.
  for (std::size_t n : {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 127}) {
    aligned_buffer<T> x(n + 1, 18);
    const auto check = [&](const char* what, double bound) {
      const double a = under_test::sum_of_squares_in_double(x.data() + 1, n),
                   b = scalar::sum_of_squares_in_double(x.data() + 1, n);
      BOOST_TEST(std::abs(a - b) <= 1e-12 * b, "sum_of_squares_in_double n=" << n << " " << what << ": " << a << " vs " << b);
      if (bound > 1) BOOST_TEST(b > bound, what);
      if (bound < 1) BOOST_TEST((b > 0 && b < bound), what);
    };
    check("in [-1, 1)", 1);
    const std::vector<T> original(x.data() + 1, x.data() + 1 + n);
    for (std::size_t i = 1; i <= n; ++i) x.data()[i] = (i % 2 ? T(-2e19) : T(2e19)) + T(1e18) * original[i - 1];
    check("past the float range", double(std::numeric_limits<float>::max()));
    for (std::size_t i = 1; i <= n; ++i) x.data()[i] = (i % 2 ? T(-2e-25) : T(2e-25)) + T(1e-26) * original[i - 1];
    check("squares below the smallest float", double(std::numeric_limits<float>::min()));
  }
}

}  // namespace kernel_checks
