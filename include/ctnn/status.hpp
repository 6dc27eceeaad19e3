// ctnn/status.hpp - run-time errors as values: a code and a readable message, no heap.
//
// The library builds with -fno-exceptions; every operation that can fail on bad input (a
// training step, loading weights) returns a [[nodiscard]] status. The message is formatted into
// a fixed buffer inside the status object.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace ctnn {

enum class status_code : std::uint8_t {
  ok = 0,
  non_finite_loss,      ///< the loss of a step is NaN or infinite: the step was refused
  non_finite_gradient,  ///< a gradient is NaN or infinite: the step was refused
  label_out_of_range,   ///< a class label is not below the number of outputs
  invalid_argument,     ///< a hyper-parameter or argument is out of its domain
  io_error,             ///< reading or writing a file or buffer failed
  bad_format,           ///< a weight file is corrupt, truncated or of another version
  topology_mismatch,    ///< a weight file was made for a different network
  check_failed,         ///< a weight file's embedded test vector does not reproduce
};

/// The enumerator's name, e.g. "label_out_of_range".
constexpr const char* to_string(status_code code) noexcept {
  switch (code) {
    case status_code::ok: return "ok";
    case status_code::non_finite_loss: return "non_finite_loss";
    case status_code::non_finite_gradient: return "non_finite_gradient";
    case status_code::label_out_of_range: return "label_out_of_range";
    case status_code::invalid_argument: return "invalid_argument";
    case status_code::io_error: return "io_error";
    case status_code::bad_format: return "bad_format";
    case status_code::topology_mismatch: return "topology_mismatch";
    case status_code::check_failed: return "check_failed";
  }
  return "unknown";
}

/// Formats an integer in hexadecimal in a status message: `st << hex{crc}`.
struct hex {
  std::uint64_t value;
};

/// Outcome of an operation: ok, or a code with a message naming what was wrong.
class [[nodiscard]] status {
 public:
  static constexpr std::size_t capacity = 160;

  /// Ok. The message buffer is left unwritten: an ok status is made and copied on every
  /// training step, and zeroing 160 bytes each time showed in S's step profile.
  constexpr status() noexcept {}
  constexpr status(const status& other) noexcept { *this = other; }
  /// Copies the code and only the message's characters.
  constexpr status& operator=(const status& other) noexcept {
    code_ = other.code_;
    length_ = other.length_;
    if (!other.ok())
      for (std::size_t i = 0; i <= length_; ++i) message_[i] = other.message_[i];
    return *this;
  }

  /// An error; build the message with << (strings, integers, floating point).
  static status error(status_code code) noexcept {
    status s;
    s.code_ = code;
    s.message_[0] = '\0';
    return s;
  }

  constexpr bool ok() const noexcept { return code_ == status_code::ok; }
  constexpr explicit operator bool() const noexcept { return ok(); }
  constexpr status_code code() const noexcept { return code_; }
  /// "ok" or the error message.
  const char* message() const noexcept { return ok() ? "ok" : message_; }

  status& operator<<(const char* text) noexcept {
    while (*text && length_ + 1 < capacity) message_[length_++] = *text++;
    message_[length_] = '\0';
    return *this;
  }
  status& operator<<(char c) noexcept {
    const char text[2] = {c, '\0'};
    return *this << text;
  }
  /// Any integer type (char is text, above).
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, char> && !std::is_same_v<I, bool>)
  status& operator<<(I v) noexcept {
    if constexpr (std::is_signed_v<I>) {
      if (v < 0) {
        *this << '-';
        return append_unsigned(std::uint64_t(-(std::int64_t(v) + 1)) + 1);
      }
    }
    return append_unsigned(std::uint64_t(v));
  }
  status& operator<<(hex h) noexcept {
    char text[19] = {'0', 'x'};
    int n = 2;
    bool started = false;
    for (int shift = 60; shift >= 0; shift -= 4) {
      const unsigned digit = unsigned(h.value >> shift) & 0xFu;
      if (digit != 0 || started || shift == 0) {
        text[n++] = "0123456789abcdef"[digit];
        started = true;
      }
    }
    text[n] = '\0';
    return *this << static_cast<const char*>(text);
  }
  /// Floating point in scientific notation with 6 significant digits (no printf needed).
  status& operator<<(double v) noexcept {
    if (std::isnan(v)) return *this << "nan";
    if (std::isinf(v)) return *this << (v < 0 ? "-inf" : "inf");
    if (v < 0) {
      *this << '-';
      v = -v;
    }
    if (v == 0) return *this << "0";
    int exponent = 0;
    while (v >= 10) { v /= 10; ++exponent; }
    while (v < 1) { v *= 10; --exponent; }
    auto mantissa = static_cast<std::uint64_t>(v * 100000.0 + 0.5);
    if (mantissa >= 1000000) { mantissa /= 10; ++exponent; }
    append_unsigned(mantissa / 100000) << '.';
    const std::uint64_t frac = mantissa % 100000;
    for (std::uint64_t div = 10000; div > 0; div /= 10) *this << char('0' + frac / div % 10);
    *this << 'e';
    return *this << exponent;
  }
  status& operator<<(float v) noexcept { return *this << static_cast<double>(v); }

 private:
  status& append_unsigned(std::uint64_t v) noexcept {
    char text[21];  // 20 digits at most, then the terminator; filled from the end
    std::size_t first = sizeof text - 1;
    text[first] = '\0';
    do {
      text[--first] = char('0' + v % 10);
      v /= 10;
    } while (v != 0);
    return *this << static_cast<const char*>(text + first);
  }

  status_code code_ = status_code::ok;
  std::size_t length_ = 0;
  char message_[capacity];  // written up to length_ (and a terminator) by error() and <<
};

}  // namespace ctnn
