// tests/support/alloc_counter.hpp - counts every heap allocation of the test binary.
//
// Include from exactly one translation unit per test executable. Replaces the global
// operator new family and, outside AddressSanitizer builds (ASan owns malloc there), malloc,
// calloc and realloc through glibc's __libc_* entry points.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace test_support {
inline std::atomic<long> allocations{0};

/// Allocations made while running f.
template <class F>
long count_allocations(F&& f) {
  const long before = allocations.load();
  f();
  return allocations.load() - before;
}
}  // namespace test_support

// GCC says __SANITIZE_ADDRESS__; clang 14 only __has_feature(address_sanitizer).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_SUPPORT_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(TEST_SUPPORT_UNDER_ASAN)
#define TEST_SUPPORT_COUNTS_MALLOC 0
namespace test_support {
inline void* raw_malloc(std::size_t n) { return std::malloc(n); }
// ASan pairs std::malloc with std::free; GCC pairs the free with the replaced operator new it
// was inlined into and would warn (-Wmismatched-new-delete) about a correct pair.
inline void raw_free(void* p) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
  std::free(p);
#pragma GCC diagnostic pop
}
}  // namespace test_support
#else
#define TEST_SUPPORT_COUNTS_MALLOC 1
extern "C" {
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t n) {
  ++test_support::allocations;
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t m) {
  ++test_support::allocations;
  return __libc_calloc(n, m);
}
void* realloc(void* p, std::size_t n) {
  ++test_support::allocations;
  return __libc_realloc(p, n);
}
}
namespace test_support {
inline void* raw_malloc(std::size_t n) { return __libc_malloc(n); }
// glibc's own entry point, as for malloc: std::free here makes GCC pair it with the replaced
// operator new and warn (-Wmismatched-new-delete) about a correct pair.
inline void raw_free(void* p) { __libc_free(p); }
}  // namespace test_support
#endif

void* operator new(std::size_t n) {
  ++test_support::allocations;
  if (void* p = test_support::raw_malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  ++test_support::allocations;
  const auto align = static_cast<std::size_t>(a);
  void* p = nullptr;
  if (posix_memalign(&p, align, n ? n : 1) == 0) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { test_support::raw_free(p); }
void operator delete[](void* p) noexcept { test_support::raw_free(p); }
void operator delete(void* p, std::size_t) noexcept { test_support::raw_free(p); }
void operator delete[](void* p, std::size_t) noexcept { test_support::raw_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { test_support::raw_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { test_support::raw_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { test_support::raw_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { test_support::raw_free(p); }
