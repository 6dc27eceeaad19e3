// No heap allocation in construction, initialization or inference, shown by a counting
// replacement of operator new and malloc (with a control that shows the counter counts).
#define BOOST_TEST_MODULE allocation
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdlib>
#include <memory>
#include <vector>

#include <ctnn/ctnn.hpp>

#include "support/alloc_counter.hpp"
#include "support/reference_networks.hpp"

using namespace reference_networks;
using test_support::count_allocations;

BOOST_AUTO_TEST_CASE(counter_counts) {
  // Volatile sinks keep the compiler from eliding the allocations.
  static int* volatile int_sink;
  [[maybe_unused]] static void* volatile raw_sink;
  BOOST_TEST(count_allocations([] { int_sink = new int(1); delete int_sink; }) == 1);
  BOOST_TEST(count_allocations([] { std::vector<float> v(100); raw_sink = v.data(); }) == 1);
#if TEST_SUPPORT_COUNTS_MALLOC
  BOOST_TEST(count_allocations([] { raw_sink = std::malloc(16); std::free(raw_sink); }) == 1);
#endif
}

BOOST_AUTO_TEST_CASE(construction_initialization_inference_do_not_allocate) {
  static W<> w;
  float sink = 0;
  const long n = count_allocations([&] {
    S<> s;
    M<> m;
    L<> l;
    ctnn::initialize(s, ctnn::rng{1});
    ctnn::initialize(m, ctnn::rng{2});
    ctnn::initialize(l, ctnn::rng{3});
    ctnn::initialize(w, ctnn::rng{4});
    sink += s(std::array<float, 4>{1, 2, 3, 4})[0];
    sink += m(std::array<float, 16>{})[0];
    sink += l(std::array<float, 784>{})[0];
    sink += w(std::array<float, 256>{})[0];
    ctnn::network<ctnn::input<3>, ctnn::sigmoid, ctnn::dense<4, ctnn::tanh, ctnn::init::orthogonal<>>, ctnn::softmax> o;
    ctnn::initialize(o, ctnn::rng{5});
    sink += o(std::array<float, 3>{1, 2, 3})[0];
  });
  BOOST_TEST(n == 0);
  BOOST_TEST(std::isfinite(sink));
}
