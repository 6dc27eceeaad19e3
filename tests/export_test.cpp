// Headers written by ctnn::export_header at build time (export_generator) compile, build
// constexpr networks in read-only memory, and compute bit for bit what the exported networks do.
#define BOOST_TEST_MODULE export
#include <boost/test/unit_test.hpp>

#include <cstring>

#include <ctnn/ctnn.hpp>

#include "export_networks.hpp"
#include "exported_S.hpp"
#include "exported_mixed.hpp"

namespace {
constexpr auto flash_S = ctnn::from_exported<export_networks::S>(exported_S);
constexpr auto flash_mixed = ctnn::from_exported<export_networks::mixed>(exported_mixed);
}  // namespace

BOOST_AUTO_TEST_CASE(exported_networks_compute_what_the_originals_do) {
  static export_networks::S s;
  static export_networks::mixed m;
  export_networks::make(s, m);
  BOOST_TEST(std::memcmp(&flash_S, &s, sizeof s) == 0);
  BOOST_TEST(std::memcmp(&flash_mixed, &m, sizeof m) == 0);
  ctnn::rng g{1};
  for (int k = 0; k < 100; ++k) {
    std::array<float, 4> x4;
    std::array<float, 3> x3;
    for (auto& v : x4) v = g.uniform(-2.0f, 2.0f);
    for (auto& v : x3) v = g.uniform(-2.0f, 2.0f);
    BOOST_TEST(flash_S(x4) == s(x4));
    BOOST_TEST(flash_mixed(x3) == m(x3));
  }
}
