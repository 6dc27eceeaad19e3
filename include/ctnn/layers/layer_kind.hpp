// ctnn/layers/layer_kind.hpp - what kind a resolved layer is, for topology hashes and tools.
#pragma once

#include <cstdint>

namespace ctnn {

/// Recorded in weight files through the topology hash: never renumber.
enum class layer_kind : std::uint8_t { dense = 1, activation = 2, softmax = 3, batch_norm = 4, dropout = 5,
                                       residual = 6 };

}  // namespace ctnn
