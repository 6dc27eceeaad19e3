// ctnn/training/hyper_parameters.hpp - the range check the optimizers' validate() share.
#pragma once

#include <limits>

namespace ctnn::detail {

/// x >= 0 and finite. ">= 0" alone let an infinite learning rate or decay through, and the step
/// then wrote infinities into every parameter after its loss and gradient checks had passed.
constexpr bool finite_non_negative(float x) noexcept { return x >= 0 && x <= std::numeric_limits<float>::max(); }

/// x > 0 and finite (eps: an infinite one stops every update without saying so).
constexpr bool finite_positive(float x) noexcept { return x > 0 && x <= std::numeric_limits<float>::max(); }

}  // namespace ctnn::detail
