// Element-wise functions written once as generic lambdas-in-a-switch, so that
// the same formula serves a double (the scalar twin, constant folding) and an
// xsimd batch (the SIMD kernel). Keeping one formula is what makes the twin a
// faithful reference.
#pragma once

#include <cmath>

#include "wengert/op.hpp"

namespace wengert::kernels {

// a > 0 ? yes : no, entry by entry; the SIMD overload is in simd.hpp.
inline double select_positive(double a, double yes, double no) { return a > 0 ? yes : no; }
inline float select_positive(float a, float yes, float no) { return a > 0 ? yes : no; }
template <class V>
V select_positive(V a, V yes, V no);

// softplus(a) = log(1 + e^a) = max(a, 0) + log1p(e^-|a|): never overflows.
template <class V>
V softplus_formula(V a) {
  using std::abs, std::exp, std::log1p, std::max;
  return max(a, V(0)) + log1p(exp(-abs(a)));
}

template <class V>
V sigmoid_formula(V a) {
  using std::exp;
  return V(1) / (V(1) + exp(-a));
}

// f(a) for a one-argument element-wise op; `c` is the op's constant.
template <class V, class S>
V unary_formula(Op op, V a, S c) {
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
    case Op::sigmoid: return sigmoid_formula(a);
    case Op::softplus: return softplus_formula(a);
    case Op::silu: return a * sigmoid_formula(a);
    case Op::sin: return sin(a);
    case Op::cos: return cos(a);
    case Op::pow: return pow(a, V(c));
    case Op::add_scalar: return a + V(c);
    case Op::mul_scalar: return a * V(c);
    case Op::relu: return max(a, V(0));
    case Op::abs: return abs(a);
    case Op::step: return select_positive(a, V(1), V(0));
    case Op::sign: return select_positive(a, V(1), V(0)) - select_positive(-a, V(1), V(0));
    case Op::input: case Op::fill: case Op::add: case Op::sub: case Op::mul: case Op::div:
    case Op::broadcast_rows: case Op::spread_rows: case Op::broadcast_cols: case Op::sum_rows:
    case Op::mean_rows: case Op::sum_cols: case Op::transpose: case Op::slice_cols: case Op::pad_cols:
    case Op::concat_cols: case Op::matmul:
      break;
  }
  // clang-format on
  return a;  // not element-wise: never reached (callers check is_elementwise)
}

// a op b for the four two-argument element-wise ops.
template <class V>
V binary_formula(Op op, V a, V b) {
  if (op == Op::add) return a + b;
  if (op == Op::sub) return a - b;
  if (op == Op::mul) return a * b;
  return a / b;
}

}  // namespace wengert::kernels
