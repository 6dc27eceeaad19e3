// ctnn/kernels/kernels.hpp - the active kernel back end, as namespace ctnn::kernels::active.
#pragma once

#include "../config.hpp"
#include "scalar.hpp"
#include "simd.hpp"

namespace ctnn::kernels {
#if defined(CTNN_PURE_SCALAR)
namespace active = scalar;
#else
namespace active = simd;
#endif
}  // namespace ctnn::kernels
