// What machine a benchmark ran on, printed above its tables: figures from
// different machines (or instruction sets) are not to be compared.
#pragma once

#include <fstream>
#include <string>
#include <thread>
#include <fmt/format.h>
#include <wengert/simd.hpp>
#include <wengert/version.hpp>

namespace bench {

inline std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

// The widest x86 vector instructions the CPU reports (its "flags" line).
inline std::string cpu_isa() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("flags", 0) == 0) {
      line += ' ';
      if (line.find(" avx512f ") != std::string::npos) return "AVX-512";
      if (line.find(" avx2 ") != std::string::npos && line.find(" fma ") != std::string::npos) return "AVX2 with FMA";
      if (line.find(" sse2 ") != std::string::npos) return "SSE2";
    }
  return "unknown ISA";
}

inline const char* build_type() {
#ifdef NDEBUG
  return "release (NDEBUG)";
#else
  return "debug (asserts on)";
#endif
}

// One line: the CPU and its instruction set, the kernels' instruction set, the compiler and the build.
inline void print_machine() {
  fmt::print("machine: {} ({}); kernels: {} (wengert {}); compiler: {}; build: {}; hardware threads: {}\n", cpu_name(),
             cpu_isa(), wengert::simd_target(), wengert::version(), __VERSION__, build_type(),
             std::thread::hardware_concurrency());
}

}  // namespace bench
