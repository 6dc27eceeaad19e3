// cross/console.cpp - see console.hpp.
#include "console.hpp"

#include "semihosting.hpp"

namespace firmware {

void console::flush() noexcept {
  if (length_ == 0) return;
  line_[length_] = '\0';
  semihosting::write0(line_);
  length_ = 0;
}

console& console::operator<<(char c) noexcept {
  line_[length_++] = c;
  if (c == '\n' || length_ == capacity) flush();
  return *this;
}

console& console::operator<<(const char* text) noexcept {
  while (*text) *this << *text++;
  return *this;
}

console& console::write_unsigned(std::uint32_t v) noexcept {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *this << digits[--n];
  return *this;
}

console& console::operator<<(float v) noexcept {
  if (v != v) return *this << "nan";
  if (v < 0) {
    *this << '-';
    v = -v;
  }
  if (v > 3.4028235e38f) return *this << "inf";
  if (v == 0) return *this << "0";
  int exponent = 0;
  while (v >= 10.0f) {
    v /= 10.0f;
    ++exponent;
  }
  while (v < 1.0f) {
    v *= 10.0f;
    --exponent;
  }
  auto mantissa = static_cast<std::uint32_t>(v * 100000.0f + 0.5f);  // 6 digits, d.ddddd
  if (mantissa >= 1000000) {
    mantissa /= 10;
    ++exponent;
  }
  *this << static_cast<char>('0' + mantissa / 100000) << '.';
  for (std::uint32_t div = 10000; div > 0; div /= 10) *this << static_cast<char>('0' + mantissa / div % 10);
  *this << 'e' << (exponent < 0 ? '-' : '+');
  if (exponent < 0) exponent = -exponent;
  if (exponent < 10) *this << '0';
  return *this << exponent;
}

}  // namespace firmware
