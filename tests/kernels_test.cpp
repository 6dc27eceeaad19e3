// Every Highway kernel against its scalar twin (kernels/scalar.hpp), over awkward sizes.
//
// Sizes sweep 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 127 for the output width (with a fixed
// input width), at batch 1 and at an odd batch, for the activations fused into the kernel, and
// for the input width (with a fixed output width) with the identity. Buffers are filled with random
// values, padding included, so a kernel that reads or writes past its contract shows up.
#define BOOST_TEST_MODULE kernels
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <utility>

#include <ctnn/ctnn.hpp>

#if !defined(CTNN_PURE_SCALAR)
namespace under_test = ctnn::kernels::simd;
#else
namespace under_test = ctnn::kernels::scalar;  // pure-scalar build: the sweep still runs the oracle
#endif
#include "support/kernel_checks.hpp"

using namespace kernel_checks;

namespace {

constexpr std::size_t sweep[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 127};
constexpr std::size_t sweep_count = sizeof(sweep) / sizeof(sweep[0]);

template <class T, class Act, std::size_t Batch, std::size_t Fixed, std::size_t... I>
void sweep_sizes(std::index_sequence<I...>) {
  (check_dense_kernels<T, Act, Batch, Fixed, sweep[I]>(), ...);  // outputs sweep
  // The input width shapes the loops over inputs, which do not depend on the activation (it is
  // applied to the outputs): swept with the identity only. Every instantiation here is a
  // compile-time shape, and the two sweeps of relu and tanh's inputs were a quarter of the
  // file's compile time in each of the five variants.
  if constexpr (std::is_same_v<Act, ctnn::identity>) (check_dense_kernels<T, Act, Batch, sweep[I], Fixed>(), ...);
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

// Batch-1 layers wider than one 16-vector output block (W's 256-wide layers are one block):
// a full block, a block and a remainder, and two blocks, in float and double.
BOOST_AUTO_TEST_CASE(dense_kernels_wide_batch_one) {
  check_dense_kernels<float, ctnn::relu, 1, 33, 256>();
  check_dense_kernels<float, ctnn::tanh, 1, 17, 257>();
  check_dense_kernels<float, ctnn::identity, 1, 7, 513>();
  check_dense_kernels<double, ctnn::relu, 1, 15, 129>();
}

// Batches that exercise every row-block remainder of the GEMM (block height is up to 6).
BOOST_AUTO_TEST_CASE(dense_kernels_batch_remainders) {
  check_dense_kernels<float, ctnn::relu, 2, 31, 64>();
  check_dense_kernels<float, ctnn::relu, 5, 31, 64>();
  check_dense_kernels<float, ctnn::relu, 13, 31, 64>();
  check_dense_kernels<float, ctnn::relu, 32, 100, 127>();
}

// Batches past 32: the weight gradient, a reduction over the batch, runs in parts of 32 with
// the partial sums kept in the output (kernels/simd.hpp, gemm_bcast): one part and a sample,
// two whole parts, parts and a remainder. Then the same kind of call (a read down its columns)
// with an activation, which only the last part may apply.
BOOST_AUTO_TEST_CASE(dense_kernels_reduction_in_parts) {
  check_dense_kernels<float, ctnn::identity, 33, 17, 33>();
  check_dense_kernels<float, ctnn::relu, 64, 7, 64>();
  check_dense_kernels<float, ctnn::identity, 100, 31, 17>();
  check_dense_kernels<double, ctnn::identity, 65, 15, 17>();

  constexpr std::size_t rows = 20, k = 70, stride = ctnn::padded<float>(9);
  aligned_buffer<float> a(k * rows, 1), b(k * stride, 2), init(stride, 3), c1(rows * stride, 4), c2(rows * stride, 4);
  under_test::gemm_bcast<ctnn::tanh, rows, k, 1, rows, stride>(a.data(), b.data(), init.data(), c1.data());
  scalar::gemm_bcast<ctnn::tanh, rows, k, 1, rows, stride>(a.data(), b.data(), init.data(), c2.data());
  expect_close(c1.data(), c2.data(), rows * stride, tolerance<float>(k), "gemm_bcast down columns, tanh", k, 9);
}

BOOST_AUTO_TEST_CASE(optimizer_kernels) { check_optimizer_kernels(); }

// Optimizer state that decays under zero gradients (a weight of an always-zero input) is never
// stored subnormal (kernels/subnormal.hpp): it steps from the smallest normals to zero. Every
// kernel, SIMD and scalar, from state just above the smallest normal, signs mixed.
BOOST_AUTO_TEST_CASE(optimizer_state_never_subnormal) {
  using T = float;
  constexpr std::size_t n = 3 * ctnn::simd_lanes<T>;
  constexpr T tiny = std::numeric_limits<T>::min();
  const ctnn::kernels::sgd_constants<T> sgd{0.1f, 0.9f, 1.0f, 0.0f, false, false};
  const ctnn::kernels::rmsprop_constants<T> rmsprop{0.01f, 0.9f, 0.1f, 1e-8f, 0.0f, 0.9f, true};
  const ctnn::kernels::adam_constants<T> adam{0.9f, 0.5f, 0.1f, 0.5f, 0.001f, 1.0f, 1e-8f, 0.0f, 1.0f};
  for (bool use_simd : {true, false}) {
    aligned_buffer<T> p(n, 1), zero(n, 0), s1(n, 0), s2(n, 0), s3(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      zero.data()[i] = T(0);
      const T start = tiny * T(1 + i % 4);  // 1 to 4 times the smallest normal
      s1.data()[i] = i % 2 ? -start : start;
      s2.data()[i] = start;  // second moments are non-negative
      s3.data()[i] = i % 3 ? start : -start;
    }
    const ctnn::kernels::stored_gradient<T> g{zero.data()};
    for (int step = 0; step < 40; ++step) {
      if (use_simd) {
        under_test::sgd_update(p.data(), g, s1.data(), 1, n, sgd);
        under_test::rmsprop_update(p.data(), g, s2.data(), s1.data(), s3.data(), 1, n, rmsprop);
        under_test::adam_update<false, false>(p.data(), g, s1.data(), s2.data(), static_cast<T*>(nullptr), 1, n, adam);
      } else {
        scalar::sgd_update(p.data(), g, s1.data(), 1, n, sgd);
        scalar::rmsprop_update(p.data(), g, s2.data(), s1.data(), s3.data(), 1, n, rmsprop);
        scalar::adam_update<false, false>(p.data(), g, s1.data(), s2.data(), static_cast<T*>(nullptr), 1, n, adam);
      }
      for (auto* state : {&s1, &s2, &s3})
        for (std::size_t i = 0; i < n; ++i) {
          const T x = state->data()[i];
          BOOST_TEST_REQUIRE(!(x != T(0) && std::abs(x) < tiny),
                             (use_simd ? "simd" : "scalar") << " step " << step << ": subnormal state " << x);
        }
    }
    for (auto* state : {&s1, &s2, &s3})
      for (std::size_t i = 0; i < n; ++i) BOOST_TEST(state->data()[i] == T(0), "state decayed to zero at " << i);
  }
}
