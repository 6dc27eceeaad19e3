// ctnn/kernels/kernels.hpp - the active kernel back end, as namespace ctnn::kernels::active.
#pragma once

#include "../config.hpp"
#include "scalar.hpp"

#if defined(CTNN_DYNAMIC_DISPATCH) && defined(HWY_HIGHWAY_INCLUDED)
#error "ctnn with CTNN_DYNAMIC_DISPATCH: include ctnn's headers before <hwy/highway.h> (ctnn runs hwy/foreach_target.h, which must come first)"
#endif
#if defined(CTNN_DYNAMIC_DISPATCH)
// Compiles kernels/simd.hpp once for every x86 target Highway can attain; the static target
// (the build's -march) is compiled by the include below.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ctnn/kernels/simd.hpp"
#include <hwy/foreach_target.h>
#endif

#include "simd.hpp"

#if defined(CTNN_DYNAMIC_DISPATCH)
#include "dispatch.hpp"
#endif

namespace ctnn {
namespace kernels {
#if defined(CTNN_PURE_SCALAR)
namespace active = scalar;
#else
/// The static target's kernels (-march's); every compiled target's are in N_<TARGET>.
namespace simd = HWY_NAMESPACE;
#if defined(CTNN_DYNAMIC_DISPATCH)
namespace active = dispatched;
#else
namespace active = simd;
#endif
#endif
}  // namespace kernels

/// Name of the kernel back end in use, for reports and benchmark tables: under dynamic
/// dispatch the target chosen for this CPU.
#if defined(CTNN_PURE_SCALAR)
inline constexpr const char* kernel_backend() noexcept { return "pure-scalar"; }
#elif defined(CTNN_DYNAMIC_DISPATCH)
inline const char* kernel_backend() noexcept { return hwy::TargetName(kernels::dispatched::chosen_target()); }
#else
inline const char* kernel_backend() noexcept { return hwy::TargetName(HWY_STATIC_TARGET); }
#endif
}  // namespace ctnn
