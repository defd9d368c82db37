// The kernels of one instruction set as a table of functions. kernels/simd.cpp
// is compiled once per target the build carries, each copy in a namespace of
// its own, and defines `target_<name>`; dispatch.cpp holds the list (generated
// by meson into kernel_targets.hpp) and picks one table, once, for the CPU.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

#include "kernels/kernels.hpp"
#include "wengert/op.hpp"

#define WENGERT_CONCAT_(a, b) a##b
#define WENGERT_TARGET_OBJECT(name) WENGERT_CONCAT_(target_, name)
#define WENGERT_STRING_(x) #x
#define WENGERT_STRING(x) WENGERT_STRING_(x)

namespace wengert::kernels {

/// The kernels of kernels.hpp without their `simd` switch, for one element type.
template <class T>
struct KernelTable {
  void (*unary)(Op op, const T* a, T* y, std::size_t n, T c);
  void (*binary)(Op op, const T* a, const T* b, T* y, std::size_t n);
  void (*gemm)(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t a_row, std::size_t a_col,
               const T* b, std::size_t b_row, std::size_t b_col, T* c, std::size_t ldc, bool accumulate, const T* row);
  void (*gemm_pair)(std::size_t n, std::size_t k, const T* a0, const T* a1, const T* b, std::size_t b_row,
                    std::size_t b_col, T* c0, T* c1, const T* row0, const T* row1);
  void (*sum_rows)(const T* a, T* y, std::size_t rows, std::size_t cols, bool accumulate);
  void (*sum_cols)(const T* a, T* y, std::size_t rows, std::size_t cols);
  StepKernel<T> (*step_kernel)(const FusedStep<T>& s);
};

/// An instruction set: "avx512", "avx2", "sse2", "native" (a -Dnative=true build),
/// "generic" (a CPU family without a list of its own), "scalar" (the twins).
struct Target {
  std::string_view name;
  KernelTable<float> for_float;
  KernelTable<double> for_double;

  template <class T>
  const KernelTable<T>& table() const {
    if constexpr (std::is_same_v<T, float>)
      return for_float;
    else
      return for_double;
  }
};

/// The targets this build carries that this CPU runs, best first, "scalar" last.
std::span<const Target* const> runnable_targets();
/// The target in use: the best runnable one, or the one the environment variable
/// WENGERT_SIMD names (UsageError if it names none of them). Decided at the first call.
const Target& active_target();

}  // namespace wengert::kernels
