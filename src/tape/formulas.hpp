// The scalar meaning of every element-wise op, written once as a template, so
// that the same formula serves a double (constant folding, `evaluate`, the
// scalar twins of the kernels) and an xsimd batch (the SIMD kernels). Keeping
// one formula is what makes the twin a faithful reference.
#pragma once

#include <cmath>
#include <cstddef>
#include <iterator>
#include <type_traits>

#include "wengert/op.hpp"

// Every translation unit that includes this header gets the formulas in an
// inline namespace of its own instruction set (kernels/simd.cpp is compiled
// once per target): an out-of-line copy built for AVX-512 must never stand in
// for the baseline one when the linker merges them.
#ifndef WENGERT_SIMD_TARGET
#define WENGERT_SIMD_TARGET baseline
#endif

namespace wengert::formulas {
inline namespace WENGERT_SIMD_TARGET {

// Whether V is float or a SIMD batch of floats.
template <class V>
constexpr bool single_precision = std::is_same_v<V, float>;
template <class V>
  requires requires { typename V::value_type; }
constexpr bool single_precision<V> = std::is_same_v<typename V::value_type, float>;

// a > 0 ? yes : no and a < 0 ? yes : no, entry by entry (NaN is neither); the
// SIMD overloads are in kernels/simd.cpp.
inline double select_positive(double a, double yes, double no) { return a > 0 ? yes : no; }
inline float select_positive(float a, float yes, float no) { return a > 0 ? yes : no; }
template <class V>
V select_positive(V a, V yes, V no);
inline double select_negative(double a, double yes, double no) { return a < 0 ? yes : no; }
inline float select_negative(float a, float yes, float no) { return a < 0 ? yes : no; }
template <class V>
V select_negative(V a, V yes, V no);

// log(1 + u) for u in [0, 1], the one range softplus needs: with s = u / (2 + u)
// in [0, 1/3], log(1 + u) = 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + ...), whose terms
// fall by s² <= 1/9 each: sixteen reach double precision (relative error below
// 5e-16 over [0, 1]), seven single precision (the first left out, s¹⁵/15, is
// below 1.4e-8 of s). One division and a polynomial, where a general log1p
// reduces its argument first (and cost softplus about as much again as exp).
template <class V>
V log1p_of_unit(V u) {
  using std::fma;
  constexpr double inverse_odd[] = {1.0 / 33, 1.0 / 31, 1.0 / 29, 1.0 / 27, 1.0 / 25, 1.0 / 23, 1.0 / 21, 1.0 / 19,
                                    1.0 / 17, 1.0 / 15, 1.0 / 13, 1.0 / 11, 1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3};
  constexpr std::size_t first = single_precision<V> ? 10 : 0;  // 1/13 or 1/33
  const V s = u / (V(2) + u), s2 = s * s;
  V p(inverse_odd[first]);
  for (std::size_t k = first + 1; k < std::size(inverse_odd); ++k) p = fma(p, s2, V(inverse_odd[k]));
  const V twice_s = s + s;
  return fma(twice_s * s2, p, twice_s);
}

// softplus(a) = log(1 + e^a) = max(a, 0) + log1p(e^-|a|): never overflows.
template <class V>
V softplus(V a) {
  using std::abs, std::exp, std::max;
  return max(a, V(0)) + log1p_of_unit(exp(-abs(a)));
}

template <class V>
V sigmoid(V a) {
  using std::exp;
  return V(1) / (V(1) + exp(-a));
}

// f(a) for a one-argument element-wise op; `c` is the op's constant.
template <class V, class S>
V unary(Op op, V a, S c) {
  using std::cos, std::exp, std::log, std::log1p, std::sin, std::sqrt, std::tanh, std::abs, std::max, std::pow;
  // clang-format off
  switch (op) {
    case Op::neg: return -a;
    case Op::square: return a * a;
    case Op::sqrt: return sqrt(a);
    case Op::exp: return exp(a);
    case Op::log: return log(a);
    case Op::log1p: return log1p(a);
    case Op::tanh: return tanh(a);
    case Op::sigmoid: return sigmoid(a);
    case Op::softplus: return softplus(a);
    case Op::silu: return a * sigmoid(a);
    case Op::sin: return sin(a);
    case Op::cos: return cos(a);
    case Op::pow: return pow(a, V(c));
    case Op::add_scalar: return a + V(c);
    case Op::mul_scalar: return a * V(c);
    case Op::relu: return select_negative(a, V(0), a);  // NaN stays NaN
    case Op::abs: return abs(a);
    case Op::step: return select_positive(a, V(1), V(0));
    case Op::sign: return select_positive(a, V(1), V(0)) - select_positive(-a, V(1), V(0));
    case Op::input: case Op::fill: case Op::add: case Op::sub: case Op::mul: case Op::div:
    case Op::broadcast_rows: case Op::spread_rows: case Op::broadcast_cols: case Op::sum_rows:
    case Op::mean_rows: case Op::sum_cols: case Op::transpose: case Op::slice_cols: case Op::pad_cols:
    case Op::concat_cols: case Op::matmul:
      break;  // not one-argument element-wise: callers dispatch on op_kind first
  }
  // clang-format on
  return a;
}

// a op b for a two-argument element-wise op.
template <class V>
V binary(Op op, V a, V b) {
  // clang-format off
  switch (op) {
    case Op::add: return a + b;
    case Op::sub: return a - b;
    case Op::mul: return a * b;
    case Op::div: return a / b;
    case Op::input: case Op::fill: case Op::neg: case Op::square: case Op::sqrt: case Op::exp: case Op::log:
    case Op::log1p: case Op::tanh: case Op::sigmoid: case Op::softplus: case Op::silu: case Op::sin: case Op::cos:
    case Op::pow: case Op::add_scalar: case Op::mul_scalar: case Op::relu: case Op::abs: case Op::step: case Op::sign:
    case Op::broadcast_rows: case Op::spread_rows: case Op::broadcast_cols: case Op::sum_rows: case Op::mean_rows:
    case Op::sum_cols: case Op::transpose: case Op::slice_cols: case Op::pad_cols: case Op::concat_cols:
    case Op::matmul:
      break;  // not two-argument element-wise: callers dispatch on op_kind first
  }
  // clang-format on
  return a;
}

}  // namespace WENGERT_SIMD_TARGET
}  // namespace wengert::formulas
