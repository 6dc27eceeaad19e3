// tests/support/worst.hpp - the largest error seen so far, where NaN counts as the worst.
//
// std::max(worst, NaN) and `e > worst ? e : worst` both keep `worst`, so a kernel or a forward
// pass returning NaN passed every tolerance check built on them. worst_of returns NaN once any
// error is NaN, and `worst <= tolerance` then fails.
#pragma once

inline double worst_of(double worst, double error) noexcept {
  return error > worst || error != error ? error : worst;
}
