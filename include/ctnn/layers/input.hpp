// ctnn/layers/input.hpp - the first parameter of every network: the input width.
#pragma once

#include <cstddef>

namespace ctnn {

/// Network input of N values.
template <std::size_t N>
struct input {
  static_assert(N > 0, "ctnn::input<0>: a network needs at least one input");
  static constexpr std::size_t size = N;
};

}  // namespace ctnn
