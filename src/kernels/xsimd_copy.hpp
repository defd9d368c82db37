// xsimd for one copy of the SIMD kernels: the file that includes this first is
// compiled once per instruction set with WENGERT_SIMD_TARGET naming it (see
// kernels/simd.cpp), and gets xsimd, and the formulas' selections on registers,
// in namespaces of that copy's own.
#pragma once

#ifndef WENGERT_SIMD_TARGET
#error "kernels/xsimd_copy.hpp is for the per-instruction-set copies of the kernels (WENGERT_SIMD_TARGET)"
#endif

// GCC 12 warns inside its own AVX-512 headers (a known false positive, GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
// xsimd itself goes into a namespace of its own in each copy as well: its
// non-template helpers (the argument reduction of sin and cos) would otherwise
// be merged across the copies by the linker, and the AVX-512 build of one could
// run on a CPU without AVX-512. tests/kernels/isa_check.py checks the library.
#define WENGERT_XSIMD_NAME_(target) xsimd_##target
#define WENGERT_XSIMD_NAME(target) WENGERT_XSIMD_NAME_(target)
#define xsimd WENGERT_XSIMD_NAME(WENGERT_SIMD_TARGET)
#include <xsimd/xsimd.hpp>

#include "tape/formulas.hpp"

namespace wengert::formulas {
inline namespace WENGERT_SIMD_TARGET {

template <class V>
V select_positive(V a, V yes, V no) {
  return xsimd::select(a > V(0), yes, no);
}

template <class V>
V select_negative(V a, V yes, V no) {
  return xsimd::select(a < V(0), yes, no);
}

}  // namespace WENGERT_SIMD_TARGET
}  // namespace wengert::formulas
