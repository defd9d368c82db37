// The op table: every primitive a tape can hold.
//
// Each op is a function of at most two 2-D tensors (rows = the batch of samples,
// cols = features) and a few constant attributes. Everything the library knows
// about an op sits in a switch over this enum (shape rule, tangent rule, adjoint
// rule, kernel), and the build uses -Werror=switch, so an op added here without
// a rule in some mode fails to compile.
#pragma once

#include <cstdint>
#include <string_view>

namespace wengert {

enum class Op : std::uint8_t {
  // leaves
  input,  // a named input of the tape (data, parameter or constant)
  fill,   // every entry equals the attribute `value`
  // element-wise, one argument
  neg,
  square,
  sqrt,
  exp,
  log,
  log1p,
  tanh,
  sigmoid,
  softplus,
  silu,
  sin,
  cos,
  pow,         // a^p for the constant p = `value`
  add_scalar,  // a + c, c = `value`
  mul_scalar,  // a * c, c = `value`
  relu,
  abs,  // first derivatives only:
  step,
  sign,  //   their derivatives (0 or undefined) refuse a second one
  // element-wise, two arguments of equal shape
  add,
  sub,
  mul,
  div,
  // broadcasts and reductions
  broadcast_rows,  // (1, c) -> (rows, c), rows = `size`
  spread_rows,     // (1, c) -> (rows, c) divided by rows: the adjoint of mean_rows
  broadcast_cols,  // (r, 1) -> (r, cols), cols = `size`
  sum_rows,        // (r, c) -> (1, c): over the batch when r is the batch
  mean_rows,       // (r, c) -> (1, c)
  sum_cols,        // (r, c) -> (r, 1): per sample
  // layout
  transpose,    // (r, c) -> (c, r)
  slice_cols,   // columns [begin, begin + size) of a
  pad_cols,     // a placed at column `begin` of zeros `size` wide: the adjoint of slice_cols
  concat_cols,  // [a, b]
  // linear algebra
  matmul,  // (r, k) x (k, c) -> (r, c)
};

/// The op's name as the printed tape shows it ("tanh", "matmul").
std::string_view op_name(Op op);

/// How many tensor arguments the op takes (0, 1 or 2).
int op_arity(Op op);

/// True for ops applied entry by entry (their local derivatives are entry-wise too).
bool is_elementwise(Op op);

}  // namespace wengert
