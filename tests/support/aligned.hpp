// tests/support/aligned.hpp - a heap array aligned for any SIMD load (tests only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include <ctnn/rng.hpp>

namespace test_support {

template <class T>
class aligned_array {
 public:
  explicit aligned_array(std::size_t n)
      : size_(n), data_(static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t{64}))) {
    for (std::size_t i = 0; i < n; ++i) data_.get()[i] = T{};
  }
  /// n values uniform in [-1, 1) from `seed`: two arrays made from the same seed hold the same
  /// values whatever their addresses.
  aligned_array(std::size_t n, std::uint64_t seed) : aligned_array(n) {
    ctnn::rng g{seed};
    for (std::size_t i = 0; i < n; ++i) data_.get()[i] = T(g.uniform(-1.0f, 1.0f));
  }
  T* data() noexcept { return data_.get(); }
  const T* data() const noexcept { return data_.get(); }
  T& operator[](std::size_t i) noexcept { return data_.get()[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_.get()[i]; }
  std::size_t size() const noexcept { return size_; }

 private:
  struct deleter {
    void operator()(T* p) const noexcept { ::operator delete[](p, std::align_val_t{64}); }
  };
  std::size_t size_;
  std::unique_ptr<T, deleter> data_;
};

}  // namespace test_support
