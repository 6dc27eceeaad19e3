// ctnn/io/exported.hpp - the consumer side of ctnn::export_header: parameters compiled in.
//
//   #include "my_net_weights.hpp"             // written by ctnn::export_header(net, ..., "my_net_weights")
//   constexpr auto net = ctnn::from_exported<net_t>(my_net_weights);   // in .rodata / flash
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "topology.hpp"

namespace ctnn {

/// Parameters in canonical order, tagged with the topology hash of the network they belong to.
template <std::uint64_t TopologyHash, std::size_t Count>
struct exported_parameters {
  static constexpr std::uint64_t topology_hash = TopologyHash;
  std::array<float, Count> values;
};

/// The network constant for exported parameters; a header made for another topology does not
/// compile.
template <class Net, std::uint64_t Hash, std::size_t Count>
constexpr Net from_exported(const exported_parameters<Hash, Count>& parameters) noexcept {
  static_assert(Hash == ctnn::topology_hash<Net>(),
                "ctnn::from_exported: this exported header was made for a different network topology");
  static_assert(Count == Net::parameter_count, "ctnn::from_exported: parameter count differs from the network's");
  return Net::from_parameters(parameters.values);
}

}  // namespace ctnn
