// libFuzzer target: ctnn::load on arbitrary bytes must never crash, read out of bounds, or
// change the network unless it returns ok. Built with clang-14 by tools/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include <ctnn/ctnn.hpp>

#include "../support/reference_networks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static reference_networks::S<> s, before;
  static ctnn::network<ctnn::input<3>, ctnn::sigmoid, ctnn::dense<5, ctnn::leaky_relu<3, 10>>, ctnn::dense<4>, ctnn::softmax> mixed,
      mixed_before;
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  std::memcpy(&before, &s, sizeof s);
  if (!ctnn::load(s, bytes).ok() && std::memcmp(&before, &s, sizeof s) != 0) __builtin_trap();
  std::memcpy(&mixed_before, &mixed, sizeof mixed);
  if (!ctnn::load(mixed, bytes).ok() && std::memcmp(&mixed_before, &mixed, sizeof mixed) != 0) __builtin_trap();
  return 0;
}
