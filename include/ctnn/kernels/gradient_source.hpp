// ctnn/kernels/gradient_source.hpp - where a fused optimizer kernel reads a buffer's gradient.
//
// The update kernels see a parameter buffer as `rows` rows of `width` values. Usually the
// gradient is stored beside it (stored_gradient: row r at values + r * width). At batch 1 the
// gradient of a dense layer is an outer product and need not be stored at all
// (outer_product_gradient): its buffer holds wt[i][o] for each input i, then the bias row, so
// row r of the gradient is coefficient(r) * dz with coefficient x[r] for a weight row and 1 for
// the bias row (times `scale`, the clipping factor). Reading it that way saves writing dW and
// reading it back: a quarter of an Adam step's memory traffic (bench/RESULTS.md).
#pragma once

#include <cstddef>

namespace ctnn::kernels {

template <class T>
struct stored_gradient {
  const T* values;
};

template <class T>
struct outer_product_gradient {
  const T* x;            ///< the layer's input row
  std::size_t x_count;   ///< its width: rows past it are the bias row
  const T* dz;           ///< the gradient at the layer's pre-activation (one padded row)
  T scale = T(1);        ///< clipping by norm

  T coefficient(std::size_t r) const noexcept { return (r < x_count ? x[r] : T(1)) * scale; }
};

/// The gradient at (row r, column o) of a buffer of rows of `width`: the scalar kernels' view.
template <class T>
T gradient_at(const stored_gradient<T>& g, std::size_t r, std::size_t width, std::size_t o) noexcept {
  return g.values[r * width + o];
}
template <class T>
T gradient_at(const outer_product_gradient<T>& g, std::size_t r, std::size_t, std::size_t o) noexcept {
  return g.coefficient(r) * g.dz[o];
}

}  // namespace ctnn::kernels
