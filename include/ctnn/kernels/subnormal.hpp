// ctnn/kernels/subnormal.hpp - why the optimizers store no subnormal state, and the scalar rule.
//
// A parameter whose gradient is zero step after step (a weight of an input pixel that is always
// black, a unit that never fires) sees its optimizer state decay geometrically: Adam's v by
// beta2 = 0.999 per step spends some 16,000 steps between the smallest normal float and zero,
// m and the momentum buffers fewer. On Intel cores every arithmetic operation that reads or
// produces a subnormal takes a microcode assist of about a hundred cycles: T1 at batch 1
// (the L network, Adam) slowed from 104 us to 1.96 ms per step after some thousand steps on
// a Xeon (Skylake-SP), and the same loop with the processor's flush-to-zero mode set took
// 104 us throughout (bench/RESULTS.md). The update kernels therefore store any state value
// below the smallest normal magnitude as zero, whatever the processor's mode: each value
// passes through the slow range once instead of for thousands of steps. The effect on the
// parameters is below float resolution (a moment of 1e-38 moves a weight by about 1e-33 at
// PyTorch's defaults), which the PyTorch reference tests confirm.
#pragma once

#include <limits>

namespace ctnn::kernels {

/// x, or zero when |x| is below the smallest normal value of T (NaN stays NaN).
template <class T>
constexpr T flush_subnormal(T x) noexcept {
  return (x < std::numeric_limits<T>::min() && x > -std::numeric_limits<T>::min()) ? T(0) : x;
}

}  // namespace ctnn::kernels
