// The reference networks of DESIGN.md, shared by tests, benchmarks and examples.
#pragma once

#include <ctnn/ctnn.hpp>

namespace reference_networks {

template <class T = float>
using S = ctnn::basic_network<T, ctnn::input<4>, ctnn::dense<16, ctnn::tanh>, ctnn::dense<16, ctnn::tanh>, ctnn::dense<2>>;
template <class T = float>
using M = ctnn::basic_network<T, ctnn::input<16>, ctnn::dense<64, ctnn::relu>, ctnn::dense<64, ctnn::relu>, ctnn::dense<8>>;
template <class T = float>
using L = ctnn::basic_network<T, ctnn::input<784>, ctnn::dense<128, ctnn::relu>, ctnn::dense<64, ctnn::relu>, ctnn::dense<10>>;
template <class T = float>
using W = ctnn::basic_network<T, ctnn::input<256>, ctnn::dense<256, ctnn::relu>, ctnn::dense<256, ctnn::relu>,
                              ctnn::dense<256, ctnn::relu>, ctnn::dense<256>>;

}  // namespace reference_networks
