// The machine's peak FMA rate on one core, measured, and what the machine is.
#pragma once

#include <chrono>
#include <string>
#include <xsimd/xsimd.hpp>

#include "machine.hpp"

namespace bench {

// Twelve independent chains of fused multiply-adds: enough to cover the FMA
// latency on current cores, so the loop runs at the throughput limit. Returns
// the flops it did; `sink` keeps the chains from being optimised away.
template <class T>
double fma_chains(long inner, T& sink) {
  using V = xsimd::batch<T>;
  constexpr int chains = 12;
  V acc[chains];
  for (int c = 0; c < chains; ++c) acc[c] = V(T(c) * T(1e-3));
  const V a(T(0.999999)), b(T(1e-7));
  for (long i = 0; i < inner; ++i)
    for (int c = 0; c < chains; ++c) acc[c] = xsimd::fma(acc[c], a, b);
  alignas(64) T lanes[V::size];
  for (int c = 0; c < chains; ++c) {
    acc[c].store_aligned(lanes);
    sink += lanes[0];
  }
  return 2.0 * V::size * chains * double(inner);
}

// The peak in GFLOP/s, timed by the clock (for the benchmarks that are not
// Google Benchmark's): the best of a few tenths of a second.
template <class T>
double peak_gflops() {
  double best = 0;
  T sink = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const auto start = std::chrono::steady_clock::now();
    const double flops = fma_chains<T>(1 << 20, sink);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, flops / seconds / 1e9);
  }
  if (sink == T(-1)) best = 0;  // never: the chains' sum is positive
  return best;
}

inline std::string isa_name() { return xsimd::default_arch::name(); }

}  // namespace bench
