// The networks export_generator writes as headers and export_test rebuilds to compare.
#pragma once

#include <ctnn/ctnn.hpp>

#include "support/reference_networks.hpp"

namespace export_networks {

using S = reference_networks::S<>;
using mixed = ctnn::network<ctnn::input<3>, ctnn::sigmoid, ctnn::dense<5, ctnn::leaky_relu<3, 10>>,
                            ctnn::residual<ctnn::dense<7, ctnn::tanh>, ctnn::dense<5>>, ctnn::dense<17>, ctnn::tanh,
                            ctnn::projected_residual<ctnn::dense<4, ctnn::relu>>, ctnn::dense<4>, ctnn::softmax>;

/// Deterministic parameters: the library's initializers from fixed seeds.
inline void make(S& s, mixed& m) {
  ctnn::initialize(s, ctnn::rng{2026});
  ctnn::initialize(m, ctnn::rng{2027});
}

}  // namespace export_networks
