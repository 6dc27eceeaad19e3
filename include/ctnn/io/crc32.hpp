// ctnn/io/crc32.hpp - CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): zlib's crc32().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ctnn::io {

namespace detail {
constexpr std::array<std::uint32_t, 256> make_crc32_table() noexcept {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
inline constexpr auto crc32_table = make_crc32_table();
}  // namespace detail

/// Running CRC-32: crc32(crc32(0, a), b) == crc32(0, a + b), as zlib.
constexpr std::uint32_t crc32(std::uint32_t crc, const std::byte* data, std::size_t size) noexcept {
  crc = ~crc;
  for (std::size_t i = 0; i < size; ++i)
    crc = detail::crc32_table[(crc ^ std::to_integer<std::uint32_t>(data[i])) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace ctnn::io
