// Folding: the rewrites the Builder applies to every node before it is emitted.
// Each returns the node to use instead, or no_node to emit the node as it is.
// A fill of 0 is how a symbolic zero is written, so these rewrites are what
// make naive derivative rules produce lean tapes: 0 · a, a + 0 and their
// friends never reach the tape. Every rewrite is exact in floating point (moving
// a scaling by 2ᵏ past a product: wherever the product is a normal number; a
// product transposed sums the same products in the same order).
#include <algorithm>
#include <cmath>

#include "tape/builder.hpp"

namespace wengert::detail {

namespace {

// Whether c = ±2ᵏ: scaling by it is exact, so it commutes with rounding.
bool power_of_two(double c) {
  int exponent = 0;
  return std::isfinite(c) && std::abs(std::frexp(c, &exponent)) == 0.5;
}

}  // namespace

NodeId Builder::fold(const Node& y) {
  // clang-format off
  switch (op_kind(y.op)) {
    case OpKind::leaf: return no_node;
    case OpKind::unary: return fold_unary(y);
    case OpKind::binary: return fold_binary(y);
    case OpKind::broadcast: case OpKind::reduction: return fold_copy_or_sum(y);
    case OpKind::layout: return fold_layout(y);
    case OpKind::product: return fold_product(y);
  }
  // clang-format on
  return no_node;
}

// op(fill) is a fill; op of a row repeated is op of the row, repeated; -(-x) = x;
// x·1 = x, x·0 = 0, (x·c)·d = x·(cd), x·(-1) = -x; x + 0 = x; x¹ = x, x⁰ = 1, x² = square.
NodeId Builder::fold_unary(const Node& y) {
  const Node a = node(y.a);  // a copy: emitting below may move the node list
  const double c = y.value;
  if (a.op == Op::fill) return fill(evaluate(y.op, a.value, 0.0, c), y.shape);
  if (a.op == Op::broadcast_rows) return broadcast_rows(emit(y.op, a.a, no_node, c), static_cast<Dim>(a.size));
  if (y.op == Op::neg && a.op == Op::neg) return a.a;
  if (y.op == Op::mul_scalar) {
    if (c == 1) return y.a;
    if (c == 0) return zeros(y.shape);
    if (a.op == Op::mul_scalar) return emit(Op::mul_scalar, a.a, no_node, a.value * c);
    if (c == -1) return emit(Op::neg, y.a);
  }
  if (y.op == Op::add_scalar && c == 0) return y.a;
  if (y.op == Op::pow && c == 1) return y.a;
  if (y.op == Op::pow && c == 0) return fill(1.0, y.shape);
  if (y.op == Op::pow && c == 2) return emit(Op::square, y.a);
  return no_node;
}

// fill op fill is a fill, a row repeated op a row repeated the rows' result
// repeated; a fill on one side becomes a scalar op; x + x = 2x, x - x = 0, x · x = x²,
// x · (2ᵏz) = 2ᵏ(xz).
NodeId Builder::fold_binary(const Node& y) {
  const Node a = node(y.a), b = node(y.b);
  const bool a_fill = a.op == Op::fill, b_fill = b.op == Op::fill;
  if (a_fill && b_fill) return fill(evaluate(y.op, a.value, b.value, 0.0), y.shape);
  if (a.op == Op::broadcast_rows && b.op == Op::broadcast_rows && a.size == b.size)
    return broadcast_rows(emit(y.op, a.a, b.a), static_cast<Dim>(a.size));
  const bool same = y.a == y.b;
  if (y.op == Op::add) {
    if (a_fill) return a.value == 0 ? y.b : emit(Op::add_scalar, y.b, no_node, a.value);
    if (b_fill) return b.value == 0 ? y.a : emit(Op::add_scalar, y.a, no_node, b.value);
    return same ? emit(Op::mul_scalar, y.a, no_node, 2.0) : no_node;
  }
  if (y.op == Op::sub) {
    if (b_fill) return b.value == 0 ? y.a : emit(Op::add_scalar, y.a, no_node, -b.value);
    if (a_fill) return a.value == 0 ? emit(Op::neg, y.b) : emit(Op::add_scalar, emit(Op::neg, y.b), no_node, a.value);
    return same ? zeros(y.shape) : no_node;
  }
  if (y.op == Op::mul) {
    if (a_fill) return emit(Op::mul_scalar, y.b, no_node, a.value);
    if (b_fill) return emit(Op::mul_scalar, y.a, no_node, b.value);
    if (same) return emit(Op::square, y.a);
    // x·(cz) = c·(xz) for c a power of two: the scaling then follows the
    // product, and a fused group applies it in the product's own pass (an
    // affine tail, kernels/fused.hpp). The derivative of z² is 2z, so every
    // tangent and adjoint of a square is such a product.
    if (b.op == Op::mul_scalar && power_of_two(b.value))
      return emit(Op::mul_scalar, emit(Op::mul, y.a, b.a), no_node, b.value);
    if (a.op == Op::mul_scalar && power_of_two(a.value))
      return emit(Op::mul_scalar, emit(Op::mul, a.a, y.b), no_node, a.value);
    return no_node;
  }
  if (y.op == Op::div) {
    if (a_fill && a.value == 0) return zeros(y.shape);
    return b_fill ? emit(Op::mul_scalar, y.a, no_node, 1.0 / b.value) : no_node;
  }
  return no_node;
}

// Broadcasts and sums of a fill are fills (where the batch size is not needed);
// an op that keeps the shape is the identity.
NodeId Builder::fold_copy_or_sum(const Node& y) {
  const Node a = node(y.a);
  if (a.shape == y.shape) return y.a;
  if (a.op != Op::fill) return no_node;
  const double c = a.value;
  const Op op = y.op;
  if (op == Op::broadcast_rows || op == Op::broadcast_cols || op == Op::mean_rows) return fill(c, y.shape);
  if (op == Op::sum_cols) return fill(c * double(a.shape.cols), y.shape);
  // Over the batch, the sum and the spread need the batch size: folded only where it does not matter (c = 0).
  if (op == Op::spread_rows && (c == 0 || y.size != batch))
    return fill(y.size == batch ? 0.0 : c / double(y.size), y.shape);
  if (op == Op::sum_rows && (c == 0 || a.shape.rows != batch))
    return fill(c * double(std::max<Dim>(a.shape.rows, 1)), y.shape);
  return no_node;
}

// Whether a product sums over the samples: Aᵀ·B with the batch as the inner dimension.
bool Builder::sums_over_batch(const Node& product) const {
  return product.op == Op::matmul && shape(product.a).cols == batch && product.shape.rows != batch &&
         product.shape.cols != batch;
}

// Whether the value transposes into sums over the samples: such a product, or a sum of them.
bool Builder::transposes_into_sums(NodeId id) const {
  const Node& n = node(id);
  return sums_over_batch(n) || (n.op == Op::add && transposes_into_sums(n.a) && transposes_into_sums(n.b));
}

// Transposes, slices, pads and concatenations of fills; xᵀᵀ = x; (A B)ᵀ = Bᵀ Aᵀ
// where it helps; slices of a padding.
NodeId Builder::fold_layout(const Node& y) {
  const Node a = node(y.a);
  const bool a_fill = a.op == Op::fill;
  if (y.op == Op::transpose) {
    if (a_fill) return fill(a.value, y.shape);
    if (a.op == Op::transpose) return a.a;
    // (A B)ᵀ = Bᵀ Aᵀ, so that a product with a column per sample (which the
    // executor cannot store) becomes one with a row per sample; and so that a
    // sum over the samples transposed, (XᵀY)ᵀ, is the sum YᵀX, which the
    // executor adds up chunk by chunk into the same total as the sums it is
    // added to (as reverse mode writes the gradient of a weight read as Wᵀ).
    // Each entry sums the same products in the same order.
    if (a.op == Op::matmul && (a.shape.cols == batch || sums_over_batch(a)))
      return emit(Op::matmul, transpose(a.b), transpose(a.a));
    // (S + T)ᵀ = Sᵀ + Tᵀ, where both transpose into sums over the samples.
    if (a.op == Op::add && transposes_into_sums(a.a) && transposes_into_sums(a.b))
      return add(transpose(a.a), transpose(a.b));
    return no_node;
  }
  if (y.op == Op::slice_cols) {
    if (a_fill) return fill(a.value, y.shape);
    if (a.shape == y.shape) return y.a;
    if (a.op != Op::pad_cols) return no_node;
    const Dim inner = node(a.a).shape.cols;
    if (y.begin == a.begin && y.size == inner) return a.a;  // the slice takes back what was padded
    if (y.begin + y.size <= a.begin || y.begin >= a.begin + inner) return zeros(y.shape);  // only the padding
    return no_node;
  }
  if (y.op == Op::pad_cols) {
    if (a_fill && a.value == 0) return zeros(y.shape);
    return a.shape == y.shape ? y.a : no_node;
  }
  if (y.op == Op::concat_cols) {
    const Node& b = node(y.b);
    return a_fill && b.op == Op::fill && a.value == b.value ? fill(a.value, y.shape) : no_node;
  }
  return no_node;
}

// 0 · B = A · 0 = 0; a column of c times a row b is the row c·b repeated, no
// product needed; zero columns padded around X meet rows of B that add nothing:
// [0 X 0] · B = X · B[rows of X's columns], the rows cut out of a weight
// (B without a batch dimension, once per run) as the columns of Bᵀ. With X a
// column of ones, as the forward Laplacian seeds its directions e_k, the
// product is row k of B repeated.
NodeId Builder::fold_product(const Node& y) {
  const Node a = node(y.a), b = node(y.b);
  if ((a.op == Op::fill && a.value == 0) || (b.op == Op::fill && b.value == 0)) return zeros(y.shape);
  if (a.op == Op::fill && a.shape.cols == 1)
    return broadcast_rows(emit(Op::mul_scalar, y.b, no_node, a.value), y.shape.rows);
  if (a.op == Op::pad_cols && b.shape.rows != batch && b.shape.cols != batch) {
    const NodeId rows_of_b = transpose(slice_cols(transpose(y.b), static_cast<Dim>(a.begin), node(a.a).shape.cols));
    return matmul(a.a, rows_of_b);
  }
  // (2ᵏX)·B = 2ᵏ(X·B), X over the batch: the scaling moves on to where a
  // product's pass can take it as its tail (as in fold_binary), and a product
  // (X ⊙ r)·B stays one that exec/scaled_rows.cpp can fold.
  if (a.op == Op::mul_scalar && a.shape.rows == batch && power_of_two(a.value))
    return emit(Op::mul_scalar, matmul(a.a, y.b), no_node, a.value);
  return no_node;
}

}  // namespace wengert::detail
