// Writes valid weight files (with and without test vectors) as the fuzzer's seed corpus.
#include <cstdio>
#include <string>

#include <ctnn/ctnn.hpp>

#include "../support/reference_networks.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  static reference_networks::S<> s;
  static ctnn::network<ctnn::input<3>, ctnn::sigmoid, ctnn::dense<5, ctnn::leaky_relu<3, 10>>, ctnn::dense<4>, ctnn::softmax> mixed;
  ctnn::initialize(s, ctnn::rng{1});
  ctnn::initialize(mixed, ctnn::rng{2});
  bool ok = ctnn::save(s, (dir + "/s.ctnn").c_str()).ok();
  ok &= ctnn::save(s, (dir + "/s_test_vector.ctnn").c_str(), {0.5f, -1, 2, 0}).ok();
  ok &= ctnn::save(mixed, (dir + "/mixed.ctnn").c_str(), {1, 2, 3}).ok();
  return ok ? 0 : 1;
}
