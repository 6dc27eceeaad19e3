// cross/console.hpp - line output over semihosting with a tiny number formatter.
//
//   firmware::console out;
//   out << "loss " << 0.25f << " after " << 100 << " steps\n";
//
// No printf: newlib's printf with floating point adds about 22 KB of .text and pulls in malloc
// (TOOLCHAIN.md), more than five times the whole S inference firmware. Floats are formatted
// with single-precision arithmetic only, so a Cortex-M4F build needs no soft-double routines;
// the last of the 6 significant digits may be off by one, which is fine for a report and is
// why numbers are compared as floats, never as printed text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace firmware {

/// Buffers text and writes it to the host's console at each '\n' (and when full).
class console {
 public:
  console() noexcept = default;
  console(const console&) = delete;
  console& operator=(const console&) = delete;
  ~console() { flush(); }

  console& operator<<(const char* text) noexcept;
  console& operator<<(char c) noexcept;
  /// Integers of up to 32 bits (int, std::size_t and std::int32_t are three types on Arm).
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, char> && !std::is_same_v<I, bool>)
  console& operator<<(I v) noexcept {
    static_assert(sizeof(I) <= 4, "firmware::console prints integers of up to 32 bits");
    const auto magnitude = static_cast<std::uint32_t>(v);
    if constexpr (std::is_signed_v<I>) {
      if (v < 0) {
        *this << '-';
        return write_unsigned(0u - magnitude);  // defined for the most negative value too
      }
    }
    return write_unsigned(magnitude);
  }
  /// Scientific notation, 6 significant digits: -1.23457e-05.
  console& operator<<(float v) noexcept;

  void flush() noexcept;

 private:
  console& write_unsigned(std::uint32_t v) noexcept;

  static constexpr std::size_t capacity = 96;
  char line_[capacity + 1] = {};
  std::size_t length_ = 0;
};

}  // namespace firmware
