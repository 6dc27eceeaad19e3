// ctnn/kernels/weight_prefetch.hpp - whether the batch-1 GEMV prefetches its weights on this CPU.
//
// Outside kernels/simd.hpp's per-target code on purpose: under dynamic dispatch a start-up
// initializer there would be compiled for AVX-512 (and run on every CPU).
#pragma once

namespace ctnn::kernels {

/// Whether batch-1 GEMVs over L2-resident weights prefetch them (gemm_block). The same code
/// measured opposite ways on two AVX-512 machines: on AMD Zen 5, prefetcht0 12 KiB ahead cut
/// L's inference from 2.54 to 2.18 us; on Intel Skylake-SP it raised it from 6.0 to 7.9-8.4 us
/// at every distance tried (2, 4 and 12 KiB), its L2 streamer already being ahead
/// (bench/RESULTS.md). So x86 cores prefetch when the vendor is AMD, read once at start-up;
/// other architectures keep the prefetch (Highway makes it a no-op where there is none).
/// An inference run by another translation unit's static initializer before this one's may
/// read it as false: that inference only goes without the prefetch.
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
inline const bool prefetch_weights = [] {
  __builtin_cpu_init();
  return __builtin_cpu_is("amd") != 0;
}();
#else
inline constexpr bool prefetch_weights = true;
#endif

}  // namespace ctnn::kernels
