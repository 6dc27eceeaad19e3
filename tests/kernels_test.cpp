// Every Highway kernel against its scalar twin (kernels/scalar.hpp), over awkward sizes.
//
// Sizes sweep 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 127 for the input width (with a fixed
// output width) and for the output width (with a fixed input width), at batch 1 and at an odd
// batch, and for every activation fused into the kernel. Buffers are filled with random
// values, padding included, so a kernel that reads or writes past its contract shows up.
#define BOOST_TEST_MODULE kernels
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include <ctnn/ctnn.hpp>

namespace {

constexpr std::size_t sweep[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 127};
constexpr std::size_t sweep_count = sizeof(sweep) / sizeof(sweep[0]);

template <class T>
struct aligned_buffer {
  explicit aligned_buffer(std::size_t n, std::uint64_t seed) : storage(n + 64) {
    ctnn::rng g{seed};
    for (auto& v : storage) v = T(g.uniform(-1.0f, 1.0f));
  }
  T* data() {
    auto p = reinterpret_cast<std::uintptr_t>(storage.data());
    return storage.data() + ((64 - p % 64) % 64) / sizeof(T);
  }
  std::vector<T> storage;
};

template <class T>
double tolerance(std::size_t terms) {
  // Reassociated sums of `terms` products of values in [-1, 1].
  return (std::is_same_v<T, float> ? 4e-6 : 1e-13) * double(terms + 1);
}

template <class T>
void expect_close(const T* got, const T* want, std::size_t n, double tol, const char* what, std::size_t a,
                  std::size_t b) {
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(double(got[i]) - double(want[i])));
  BOOST_TEST(worst <= tol, what << " in=" << a << " out=" << b << ": max |simd - scalar| = " << worst
                                << " > " << tol);
}

#if !defined(CTNN_PURE_SCALAR)
namespace simd = ctnn::kernels::simd;
#else
namespace simd = ctnn::kernels::scalar;  // pure-scalar build: the sweep still runs the oracle
#endif
namespace scalar = ctnn::kernels::scalar;

/// Dense forward (gemm_bcast as y = act(x W^T + b)) and the three backward kernels.
template <class T, class Act, std::size_t Batch, std::size_t In, std::size_t Out>
void check_dense_kernels() {
  constexpr std::size_t S = ctnn::padded<T>(Out);
  constexpr std::size_t XS = ctnn::padded<T>(In);
  aligned_buffer<T> x(Batch * XS, 1), wt(In * S, 2), bias(S, 3), y1(Batch * S, 4), y2(Batch * S, 4);
  simd::gemm_bcast<Act, Batch, In, XS, 1, S>(x.data(), wt.data(), bias.data(), y1.data());
  scalar::gemm_bcast<Act, Batch, In, XS, 1, S>(x.data(), wt.data(), bias.data(), y2.data());
  expect_close(y1.data(), y2.data(), Batch * S, tolerance<T>(In), "gemm_bcast forward", In, Out);

  // Unpadded input rows (the first layer reads the user's array directly).
  simd::gemm_bcast<Act, Batch, In, In, 1, S>(x.data(), wt.data(), nullptr, y1.data());
  scalar::gemm_bcast<Act, Batch, In, In, 1, S>(x.data(), wt.data(), nullptr, y2.data());
  expect_close(y1.data(), y2.data(), Batch * S, tolerance<T>(In), "gemm_bcast unpadded, no bias", In, Out);

  // Weight gradient: dwt[i][o] = sum_b x[b][i] dz[b][o].
  aligned_buffer<T> dz(Batch * S, 5), dw1(In * S, 6), dw2(In * S, 6);
  simd::gemm_bcast<ctnn::identity, In, Batch, 1, XS, S>(x.data(), dz.data(), nullptr, dw1.data());
  scalar::gemm_bcast<ctnn::identity, In, Batch, 1, XS, S>(x.data(), dz.data(), nullptr, dw2.data());
  expect_close(dw1.data(), dw2.data(), In * S, tolerance<T>(Batch), "weight gradient", In, Out);

  aligned_buffer<T> db1(S, 7), db2(S, 7);
  simd::column_sums<Batch, S>(dz.data(), db1.data());
  scalar::column_sums<Batch, S>(dz.data(), db2.data());
  expect_close(db1.data(), db2.data(), S, tolerance<T>(Batch), "column_sums", In, Out);

  aligned_buffer<T> dx1(Batch * XS, 8), dx2(Batch * XS, 9);
  simd::dense_backward_input<Batch, In, XS, S>(dz.data(), wt.data(), dx1.data());
  scalar::dense_backward_input<Batch, In, XS, S>(dz.data(), wt.data(), dx2.data());
  expect_close(dx1.data(), dx2.data(), Batch * XS, tolerance<T>(S), "dense_backward_input", In, Out);

  aligned_buffer<T> a1(Batch * S, 10), a2(Batch * S, 10);
  simd::activation_forward<Act, Batch * S>(y2.data(), a1.data());
  scalar::activation_forward<Act, Batch * S>(y2.data(), a2.data());
  expect_close(a1.data(), a2.data(), Batch * S, 1e-6, "activation_forward", In, Out);
  simd::activation_backward<Act, Batch * S>(a2.data(), dz.data(), a1.data());
  scalar::activation_backward<Act, Batch * S>(a2.data(), dz.data(), a2.data());
  expect_close(a1.data(), a2.data(), Batch * S, 1e-6, "activation_backward", In, Out);
}

template <class T, class Act, std::size_t Batch, std::size_t Fixed, std::size_t... I>
void sweep_sizes(std::index_sequence<I...>) {
  (check_dense_kernels<T, Act, Batch, sweep[I], Fixed>(), ...);   // inputs sweep
  (check_dense_kernels<T, Act, Batch, Fixed, sweep[I]>(), ...);   // outputs sweep
}

template <class T, class Act>
void sweep_all() {
  sweep_sizes<T, Act, 1, 17>(std::make_index_sequence<sweep_count>{});
  sweep_sizes<T, Act, 7, 33>(std::make_index_sequence<sweep_count>{});
}

}  // namespace

BOOST_AUTO_TEST_CASE(dense_kernels_identity_float) { sweep_all<float, ctnn::identity>(); }
BOOST_AUTO_TEST_CASE(dense_kernels_relu_float) { sweep_all<float, ctnn::relu>(); }
BOOST_AUTO_TEST_CASE(dense_kernels_tanh_float) { sweep_all<float, ctnn::tanh>(); }
BOOST_AUTO_TEST_CASE(dense_kernels_identity_double) { sweep_all<double, ctnn::identity>(); }

// The other activations at one awkward shape each, batch 1 and 3 (the sweep above covers the
// loop structure; these cover the per-activation vector code).
BOOST_AUTO_TEST_CASE(dense_kernels_each_activation) {
  check_dense_kernels<float, ctnn::sigmoid, 1, 17, 33>();
  check_dense_kernels<float, ctnn::sigmoid, 3, 7, 100>();
  check_dense_kernels<float, ctnn::leaky_relu<1, 10>, 1, 17, 33>();
  check_dense_kernels<float, ctnn::leaky_relu<1, 10>, 3, 7, 100>();
  check_dense_kernels<double, ctnn::tanh, 3, 15, 17>();
  check_dense_kernels<double, ctnn::sigmoid, 3, 15, 17>();
}

// Batches that exercise every row-block remainder of the GEMM (block height is up to 6).
BOOST_AUTO_TEST_CASE(dense_kernels_batch_remainders) {
  check_dense_kernels<float, ctnn::relu, 2, 31, 64>();
  check_dense_kernels<float, ctnn::relu, 5, 31, 64>();
  check_dense_kernels<float, ctnn::relu, 13, 31, 64>();
  check_dense_kernels<float, ctnn::relu, 32, 100, 127>();
}
