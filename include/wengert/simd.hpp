// Which instruction set wengert's kernels use. One build carries a copy of
// its SIMD kernels per instruction set (x86-64: AVX-512, AVX2 with FMA, SSE2)
// and picks, once, the best that the CPU runs; the environment variable
// WENGERT_SIMD forces another (any name simd_targets() lists). A build
// configured with -Dnative=true carries one copy, "native", for its machine.
#pragma once

#include <string>
#include <vector>

namespace wengert {

/// The instruction set in use: "avx512", "avx2", "sse2", "native", "generic" or
/// "scalar" (plain C++, the kernels' twins). Throws UsageError if WENGERT_SIMD
/// names one this build does not carry or this CPU does not run.
std::string simd_target();

/// The instruction sets this build carries that this CPU runs, best first; the
/// last is always "scalar".
std::vector<std::string> simd_targets();

}  // namespace wengert
