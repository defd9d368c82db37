#include "wengert/op.hpp"

namespace wengert {

std::string_view op_name(Op op) {
  switch (op) {
    case Op::input: return "input";
    case Op::fill: return "fill";
    case Op::neg: return "neg";
    case Op::square: return "square";
    case Op::sqrt: return "sqrt";
    case Op::exp: return "exp";
    case Op::log: return "log";
    case Op::log1p: return "log1p";
    case Op::tanh: return "tanh";
    case Op::sigmoid: return "sigmoid";
    case Op::softplus: return "softplus";
    case Op::silu: return "silu";
    case Op::sin: return "sin";
    case Op::cos: return "cos";
    case Op::pow: return "pow";
    case Op::add_scalar: return "add_scalar";
    case Op::mul_scalar: return "mul_scalar";
    case Op::relu: return "relu";
    case Op::abs: return "abs";
    case Op::step: return "step";
    case Op::sign: return "sign";
    case Op::add: return "add";
    case Op::sub: return "sub";
    case Op::mul: return "mul";
    case Op::div: return "div";
    case Op::broadcast_rows: return "broadcast_rows";
    case Op::spread_rows: return "spread_rows";
    case Op::broadcast_cols: return "broadcast_cols";
    case Op::sum_rows: return "sum_rows";
    case Op::mean_rows: return "mean_rows";
    case Op::sum_cols: return "sum_cols";
    case Op::transpose: return "transpose";
    case Op::slice_cols: return "slice_cols";
    case Op::pad_cols: return "pad_cols";
    case Op::concat_cols: return "concat_cols";
    case Op::matmul: return "matmul";
  }
  return "?";
}

int op_arity(Op op) {
  if (op == Op::input || op == Op::fill) return 0;
  if (op == Op::add || op == Op::sub || op == Op::mul || op == Op::div || op == Op::concat_cols || op == Op::matmul)
    return 2;
  return 1;
}

bool is_elementwise(Op op) {
  // clang-format off
  switch (op) {
    case Op::neg: case Op::square: case Op::sqrt: case Op::exp: case Op::log: case Op::log1p:
    case Op::tanh: case Op::sigmoid: case Op::softplus: case Op::silu: case Op::sin: case Op::cos:
    case Op::pow: case Op::add_scalar: case Op::mul_scalar: case Op::relu: case Op::abs:
    case Op::step: case Op::sign: case Op::add: case Op::sub: case Op::mul: case Op::div:
      return true;
    case Op::input: case Op::fill: case Op::broadcast_rows: case Op::spread_rows:
    case Op::broadcast_cols: case Op::sum_rows: case Op::mean_rows: case Op::sum_cols:
    case Op::transpose: case Op::slice_cols: case Op::pad_cols: case Op::concat_cols: case Op::matmul:
      return false;
  }
  // clang-format on
  return false;
}

}  // namespace wengert
