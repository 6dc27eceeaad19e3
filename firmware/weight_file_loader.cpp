// firmware/weight_file_loader.cpp - ctnn::load on the device: accepts S's weight file as the
// host wrote it, rejects corrupted copies, and leaves the network untouched when it rejects.
//
// The file (s_reference.hpp) was written by ctnn::save on the host, with a test vector; a
// successful load must give exactly the parameters of the exported network in flash.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "cases.hpp"
#include "console.hpp"
#include "s_reference.hpp"
#include "s_weights.hpp"

namespace {

using net_t = cases::s_network;
constexpr auto flashed = ctnn::from_exported<net_t>(s_weights);
constexpr std::size_t header_bytes = 48;  // fields at the offsets of ctnn/io/weight_file.hpp

net_t net;
std::array<std::byte, s_weight_file.size()> file;

void restore_file() {
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = std::byte{s_weight_file[i]};
}

bool equal_to_flashed() {
  std::array<float, net_t::parameter_count> loaded{}, expected{};
  std::size_t i = 0, j = 0;
  net.visit_parameters([&](float v) { loaded[i++] = v; });
  flashed.visit_parameters([&](float v) { expected[j++] = v; });
  return std::memcmp(loaded.data(), expected.data(), sizeof loaded) == 0;
}

/// Loads a corrupted file (`size` of its bytes); passes if the load fails with `code` and the
/// network still holds the flashed parameters.
bool rejects(firmware::console& out, const char* what, std::size_t size, ctnn::status_code code) {
  const ctnn::status s = ctnn::load(net, std::span<const std::byte>(file.data(), size));
  const bool ok = s.code() == code && equal_to_flashed();
  out << (ok ? "ok   " : "FAIL ") << what << ": " << ctnn::to_string(s.code()) << ": " << s.message() << '\n';
  restore_file();
  return ok;
}

}  // namespace

int main() {
  firmware::console out;
  restore_file();
  const ctnn::status loaded = ctnn::load(net, file);
  bool ok = loaded.ok() && equal_to_flashed();
  out << (ok ? "ok   " : "FAIL ") << "host-written file loads, parameters equal the exported ones: "
      << loaded.message() << '\n';

  file[header_bytes + 4 * 100 + 1] ^= std::byte{0x10};  // one bit of parameter 100
  ok &= rejects(out, "flipped parameter bit", file.size(), ctnn::status_code::bad_format);
  // A changed parameter under a recomputed CRC: only the embedded test vector can tell.
  file[header_bytes + 4 * 100 + 3] ^= std::byte{0x01};
  const std::uint32_t crc = ctnn::io::crc32(0, file.data() + header_bytes, file.size() - header_bytes);
  for (std::size_t i = 0; i < 4; ++i) file[32 + i] = std::byte((crc >> (8 * i)) & 0xFFu);
  ok &= rejects(out, "changed parameter, valid CRC", file.size(), ctnn::status_code::check_failed);
  file[16] ^= std::byte{0x01};  // topology hash
  ok &= rejects(out, "other topology", file.size(), ctnn::status_code::topology_mismatch);
  file[0] = std::byte{'X'};  // magic
  ok &= rejects(out, "bad magic", file.size(), ctnn::status_code::bad_format);
  ok &= rejects(out, "truncated by one byte", file.size() - 1, ctnn::status_code::bad_format);
  ok &= rejects(out, "header only", header_bytes, ctnn::status_code::bad_format);
  return ok ? 0 : 1;
}
