#include "ad/rules.hpp"

#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::detail {

NodeId local_derivative(Builder& bld, const Node& n, NodeId y, NodeId a, NodeId b, int which, const char* mode) {
  const Shape s = bld.shape(y);
  // clang-format off
  switch (n.op) {
    case Op::neg: return bld.fill(-1.0, s);                                 // d(-a) = -da
    case Op::square: return bld.scale(a, 2.0);                              // d(a²) = 2a da
    case Op::sqrt: return bld.scale(bld.pow(y, -1.0), 0.5);                 // d√a = da / (2√a)
    case Op::exp: return y;                                                 // d eᵃ = eᵃ da
    case Op::log: return bld.pow(a, -1.0);                                  // d log a = da / a
    case Op::log1p: return bld.pow(bld.shift(a, 1.0), -1.0);                // d log(1+a) = da / (1+a)
    case Op::tanh: return bld.shift(bld.neg(bld.unary(Op::square, y)), 1.0);  // d tanh a = (1 - y²) da
    case Op::sigmoid: return bld.mul(y, bld.shift(bld.neg(y), 1.0));       // dσ = σ(1 - σ) da
    case Op::softplus: return bld.unary(Op::sigmoid, a);                    // d log(1+eᵃ) = σ(a) da
    case Op::silu: {                                                        // d(aσ) = σ(1 + a(1 - σ)) da
      NodeId sig = bld.unary(Op::sigmoid, a);
      return bld.mul(sig, bld.shift(bld.mul(a, bld.shift(bld.neg(sig), 1.0)), 1.0));
    }
    case Op::sin: return bld.unary(Op::cos, a);                             // d sin a = cos a da
    case Op::cos: return bld.neg(bld.unary(Op::sin, a));                   // d cos a = -sin a da
    case Op::pow: return bld.scale(bld.pow(a, n.value - 1.0), n.value);     // d aᵖ = p aᵖ⁻¹ da
    case Op::add_scalar: return bld.fill(1.0, s);                           // d(a + c) = da
    case Op::mul_scalar: return bld.fill(n.value, s);                       // d(ca) = c da
    case Op::relu: return bld.unary(Op::step, a);                           // d relu a = [a > 0] da
    case Op::abs: return bld.unary(Op::sign, a);                            // d|a| = sign(a) da
    case Op::step: case Op::sign:
      throw NonSmoothError(fmt::format(
          "{}: cannot differentiate {} (the derivative of {}): it is zero almost everywhere and undefined "
          "at 0, so a second derivative through relu or abs would be silently wrong; use a smooth "
          "activation (softplus, silu, tanh) for second-order derivatives",
          mode, op_name(n.op), n.op == Op::step ? "relu" : "abs"));
    case Op::add: return bld.fill(1.0, s);                                  // d(a + b) = da + db
    case Op::sub: return bld.fill(which == 0 ? 1.0 : -1.0, s);              // d(a - b) = da - db
    case Op::mul: return which == 0 ? b : a;                                // d(ab) = b da + a db
    case Op::div:                                                           // d(a/b) = da/b - (y/b) db
      return which == 0 ? bld.pow(b, -1.0) : bld.div(bld.neg(y), b);
    case Op::input: case Op::fill: case Op::broadcast_rows: case Op::spread_rows:
    case Op::broadcast_cols: case Op::sum_rows: case Op::mean_rows: case Op::sum_cols:
    case Op::transpose: case Op::slice_cols: case Op::pad_cols: case Op::concat_cols: case Op::matmul:
      break;  // not element-wise: each mode has its own rule
  }
  // clang-format on
  throw Error(fmt::format("{}: internal error: {} has no local derivative", mode, op_name(n.op)));
}

}  // namespace wengert::detail

namespace wengert::detail {

NodeId second_derivative(Builder& bld, const Node& n, NodeId y, NodeId a, NodeId b, int i, int j, const char* mode) {
  const Shape s = bld.shape(y);
  auto sigmoid_slope = [&](NodeId sig) { return bld.mul(sig, bld.shift(bld.neg(sig), 1.0)); };  // σ(1 - σ)
  // clang-format off
  switch (n.op) {
    case Op::neg: case Op::add_scalar: case Op::mul_scalar: case Op::add: case Op::sub:
      return bld.zeros(s);                                                   // linear
    case Op::square: return bld.fill(2.0, s);                                // (a²)'' = 2
    case Op::sqrt: return bld.scale(bld.pow(y, -3.0), -0.25);                // (√a)'' = -1 / (4 a^{3/2})
    case Op::exp: return y;                                                  // (eᵃ)'' = eᵃ
    case Op::log: return bld.neg(bld.pow(a, -2.0));                          // (log a)'' = -1/a²
    case Op::log1p: return bld.neg(bld.pow(bld.shift(a, 1.0), -2.0));        // (log(1+a))'' = -1/(1+a)²
    case Op::tanh:                                                           // tanh'' = -2y(1 - y²)
      return bld.scale(bld.mul(y, bld.shift(bld.neg(bld.unary(Op::square, y)), 1.0)), -2.0);
    case Op::sigmoid:                                                        // σ'' = σ(1 - σ)(1 - 2σ)
      return bld.mul(sigmoid_slope(y), bld.shift(bld.scale(y, -2.0), 1.0));
    case Op::softplus: return sigmoid_slope(bld.unary(Op::sigmoid, a));     // softplus'' = σ(1 - σ)
    case Op::silu: {                                                         // (aσ)'' = σ(1 - σ)(2 + a(1 - 2σ))
      NodeId sig = bld.unary(Op::sigmoid, a);
      return bld.mul(sigmoid_slope(sig), bld.shift(bld.mul(a, bld.shift(bld.scale(sig, -2.0), 1.0)), 2.0));
    }
    case Op::sin: case Op::cos: return bld.neg(y);                          // sin'' = -sin, cos'' = -cos
    case Op::pow:                                                            // (aᵖ)'' = p(p - 1) aᵖ⁻²
      return bld.scale(bld.pow(a, n.value - 2.0), n.value * (n.value - 1.0));
    case Op::mul: return i != j ? bld.fill(1.0, s) : bld.zeros(s);          // ∂²(ab)/∂a∂b = 1
    case Op::div:                                                            // a/b: ∂a∂b = -1/b², ∂b∂b = 2y/b²
      if (i == 0 && j == 0) return bld.zeros(s);
      if (i != j) return bld.neg(bld.pow(b, -2.0));
      return bld.scale(bld.div(y, bld.unary(Op::square, b)), 2.0);
    case Op::relu: case Op::abs: case Op::step: case Op::sign:
      throw NonSmoothError(fmt::format("{}: {} has no second derivative (zero almost everywhere, undefined at 0); "
                                       "use a smooth activation (softplus, silu, tanh)", mode, op_name(n.op)));
    case Op::input: case Op::fill: case Op::broadcast_rows: case Op::spread_rows:
    case Op::broadcast_cols: case Op::sum_rows: case Op::mean_rows: case Op::sum_cols:
    case Op::transpose: case Op::slice_cols: case Op::pad_cols: case Op::concat_cols: case Op::matmul:
      break;
  }
  // clang-format on
  throw Error(fmt::format("{}: internal error: {} has no second derivative", mode, op_name(n.op)));
}

}  // namespace wengert::detail
