// firmware/s_inference.cpp - network S with its weights in flash reproduces the host's outputs.
//
// The parameters come from a header written by ctnn::export_header on the host
// (make_reference.cpp); from_exported turns them into a constexpr network, which the compiler
// emits as a constant: .rodata, in flash, with no copy to RAM and no start-up code. The test
// fails if any output differs from the host's by more than cases::s_tolerance, or if the
// network is not in flash.
#include <cstdint>

#include <ctnn/io/exported.hpp>

#include "cases.hpp"
#include "console.hpp"
#include "s_reference.hpp"
#include "s_weights.hpp"

namespace {

constexpr auto s = ctnn::from_exported<cases::s_network>(s_weights);

/// Start of RAM in cross/cortex-m.ld: everything below it is flash.
constexpr std::uintptr_t ram_start = 0x20000000;

}  // namespace

int main() {
  firmware::console out;
  using net_t = cases::s_network;
  out << "figure parameter_count " << net_t::parameter_count << '\n'
      << "figure parameter_bytes " << net_t::parameter_bytes << '\n'
      << "figure inference_stack_bytes " << net_t::inference_stack_bytes << '\n';

  float worst = 0;
  for (std::size_t i = 0; i < cases::s_input_count; ++i) {
    const auto y = s(s_inputs[i]);
    for (std::size_t o = 0; o < net_t::output_size; ++o) {
      const float d = y[o] > s_outputs[i][o] ? y[o] - s_outputs[i][o] : s_outputs[i][o] - y[o];
      worst = d > worst || d != d ? d : worst;  // a NaN stays: it must fail the check
    }
  }
  const bool in_flash = reinterpret_cast<std::uintptr_t>(&s) < ram_start;
  out << "S on " << cases::s_input_count << " inputs: max |device - host| = " << worst << " (tolerance "
      << cases::s_tolerance << "); parameters " << (in_flash ? "in flash" : "NOT in flash") << '\n';
  return worst <= cases::s_tolerance && in_flash ? 0 : 1;
}
