// The machine's peak FMA rate on one core, measured, and what the machine is.
#pragma once

#include <benchmark/benchmark.h>

#include <string>
#include <xsimd/xsimd.hpp>

#include "machine.hpp"

namespace bench {

// Twelve independent chains of fused multiply-adds: enough to cover the FMA
// latency on current cores, so the loop runs at the throughput limit.
template <class T>
void peak_fma(benchmark::State& state) {
  using V = xsimd::batch<T>;
  constexpr int chains = 12;
  V acc[chains];
  for (int c = 0; c < chains; ++c) acc[c] = V(T(c) * T(1e-3));
  const V a(T(0.999999)), b(T(1e-7));
  const long inner = 1 << 12;
  for (auto _ : state) {
    for (long i = 0; i < inner; ++i)
      for (int c = 0; c < chains; ++c) acc[c] = xsimd::fma(acc[c], a, b);
    benchmark::DoNotOptimize(acc);
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * V::size * chains * inner * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

inline std::string isa_name() { return xsimd::default_arch::name(); }

}  // namespace bench
