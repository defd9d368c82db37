// The op table: every primitive a tape can hold, and every fact about each one
// that is not a derivative.
//
// Each op is a function of at most two 2-D tensors (rows = the batch of samples,
// cols = features) and a few constant attributes. The facts below (name, arity,
// kind) sit in one switch with no default, and so does each op's scalar meaning
// (`evaluate`), its shape rule, tangent rule, adjoint rule and kernel. The build
// uses -Werror=switch, so an op added to the enum fails to compile until every
// one of those tables has its entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wengert {

/// Every primitive a tape can hold. Each reads at most two tensors (`a`, `b` of
/// its Node) and the attributes `value`, `begin`, `size`.
enum class Op : std::uint8_t {
  // leaves
  input,  ///< a named input of the tape (data, parameter or constant)
  fill,   ///< every entry equals the attribute `value`
  // element-wise, one argument
  neg,         ///< -a
  square,      ///< a²
  sqrt,        ///< √a
  exp,         ///< e^a
  log,         ///< log a
  log1p,       ///< log(1 + a)
  tanh,        ///< tanh a
  sigmoid,     ///< 1 / (1 + e^-a)
  softplus,    ///< log(1 + e^a), without overflow
  silu,        ///< a sigmoid(a)
  sin,         ///< sin a
  cos,         ///< cos a
  pow,         ///< a^p for the constant p = `value`
  add_scalar,  ///< a + c, c = `value`
  mul_scalar,  ///< a * c, c = `value`
  relu,        ///< max(a, 0): relu and abs differentiate once; their derivatives step and sign
  abs,         ///< |a| (step and sign are 0 almost everywhere and refuse to be differentiated)
  step,        ///< [a > 0]
  sign,        ///< -1, 0 or 1
  // element-wise, two arguments of equal shape
  add,  ///< a + b
  sub,  ///< a - b
  mul,  ///< a * b
  div,  ///< a / b
  // broadcasts and reductions
  broadcast_rows,  ///< (1, c) -> (rows, c), rows = `size`
  spread_rows,     ///< (1, c) -> (rows, c) divided by rows: the adjoint of mean_rows
  broadcast_cols,  ///< (r, 1) -> (r, cols), cols = `size`
  sum_rows,        ///< (r, c) -> (1, c): over the batch when r is the batch
  mean_rows,       ///< (r, c) -> (1, c)
  sum_cols,        ///< (r, c) -> (r, 1): per sample
  // layout
  transpose,    ///< (r, c) -> (c, r)
  slice_cols,   ///< columns [begin, begin + size) of a
  pad_cols,     ///< a placed at column `begin` of zeros `size` wide: the adjoint of slice_cols
  concat_cols,  ///< [a, b]
  // linear algebra
  matmul,  ///< (r, k) x (k, c) -> (r, c); the last op (see op_count)
};

/// The number of ops: Op(0) … Op(op_count - 1) are all of them.
inline constexpr std::size_t op_count = static_cast<std::size_t>(Op::matmul) + 1;

/// What an op does to its arguments' entries; the executor and the printers
/// group ops by it.
enum class OpKind : std::uint8_t {
  leaf,       ///< input, fill: no arguments
  unary,      ///< element-wise, one argument and an optional constant
  binary,     ///< element-wise, two arguments of equal shape
  broadcast,  ///< copies a row or a column: broadcast_rows, spread_rows, broadcast_cols
  reduction,  ///< sums: sum_rows, mean_rows, sum_cols
  layout,     ///< moves entries: transpose, slice_cols, pad_cols, concat_cols
  product,    ///< matmul
};

/// What there is to know about an op before its rules: its name, arity and kind.
struct OpFacts {
  std::string_view name;       ///< as the printed tape shows it ("tanh", "matmul")
  int arity = -1;              ///< tensor arguments: 0, 1 or 2 (-1: not an op)
  OpKind kind = OpKind::leaf;  ///< which family of rules it follows
};

/// The facts of every op, one line each.
constexpr OpFacts op_facts(Op op) {
  using K = OpKind;
  switch (op) {
    case Op::input: return {"input", 0, K::leaf};
    case Op::fill: return {"fill", 0, K::leaf};
    case Op::neg: return {"neg", 1, K::unary};
    case Op::square: return {"square", 1, K::unary};
    case Op::sqrt: return {"sqrt", 1, K::unary};
    case Op::exp: return {"exp", 1, K::unary};
    case Op::log: return {"log", 1, K::unary};
    case Op::log1p: return {"log1p", 1, K::unary};
    case Op::tanh: return {"tanh", 1, K::unary};
    case Op::sigmoid: return {"sigmoid", 1, K::unary};
    case Op::softplus: return {"softplus", 1, K::unary};
    case Op::silu: return {"silu", 1, K::unary};
    case Op::sin: return {"sin", 1, K::unary};
    case Op::cos: return {"cos", 1, K::unary};
    case Op::pow: return {"pow", 1, K::unary};
    case Op::add_scalar: return {"add_scalar", 1, K::unary};
    case Op::mul_scalar: return {"mul_scalar", 1, K::unary};
    case Op::relu: return {"relu", 1, K::unary};
    case Op::abs: return {"abs", 1, K::unary};
    case Op::step: return {"step", 1, K::unary};
    case Op::sign: return {"sign", 1, K::unary};
    case Op::add: return {"add", 2, K::binary};
    case Op::sub: return {"sub", 2, K::binary};
    case Op::mul: return {"mul", 2, K::binary};
    case Op::div: return {"div", 2, K::binary};
    case Op::broadcast_rows: return {"broadcast_rows", 1, K::broadcast};
    case Op::spread_rows: return {"spread_rows", 1, K::broadcast};
    case Op::broadcast_cols: return {"broadcast_cols", 1, K::broadcast};
    case Op::sum_rows: return {"sum_rows", 1, K::reduction};
    case Op::mean_rows: return {"mean_rows", 1, K::reduction};
    case Op::sum_cols: return {"sum_cols", 1, K::reduction};
    case Op::transpose: return {"transpose", 1, K::layout};
    case Op::slice_cols: return {"slice_cols", 1, K::layout};
    case Op::pad_cols: return {"pad_cols", 1, K::layout};
    case Op::concat_cols: return {"concat_cols", 2, K::layout};
    case Op::matmul: return {"matmul", 2, K::product};
  }
  return {};  // not an op
}

static_assert(op_facts(static_cast<Op>(op_count)).arity == -1 && op_facts(static_cast<Op>(op_count - 1)).arity >= 0,
              "op_count must count every op: an op added after matmul must become the new last one");

/// The op's name as the printed tape shows it ("tanh", "matmul").
constexpr std::string_view op_name(Op op) { return op_facts(op).name; }

/// How many tensor arguments the op takes (0, 1 or 2).
constexpr int op_arity(Op op) { return op_facts(op).arity; }

/// Which family of rules the op follows.
constexpr OpKind op_kind(Op op) { return op_facts(op).kind; }

/// True for ops applied entry by entry (their local derivatives are entry-wise too).
constexpr bool is_elementwise(Op op) { return op_kind(op) == OpKind::unary || op_kind(op) == OpKind::binary; }

/// The scalar meaning of an element-wise op: op(a) for one argument (b unused),
/// a op b for two; `c` is the op's constant attribute (the exponent, the scalar).
/// Constant folding evaluates ops with it; the kernels compute the same formulas.
double evaluate(Op op, double a, double b, double c);

}  // namespace wengert
