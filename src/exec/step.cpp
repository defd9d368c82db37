// One step of a run: a node computed over one chunk of rows (or once, for a
// shared value), by the kernels. Values read through (plan.hpp) are read here
// by the steps that use them: a bias row added row by row, a weight transpose
// read as W by rows.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "exec/runner.hpp"
#include "kernels/kernels.hpp"
#include "tape/index.hpp"
#include "wengert/error.hpp"

namespace wengert::detail {

namespace {
// Output columns below which Y·Wᵀ reads W by rows even where Wᵀ is formed: few
// columns make the row-major kernel all tail, and dot products win.
constexpr std::size_t narrow_product = 16;
}  // namespace

template <class T>
std::size_t Runner<T>::rows_of(NodeId id, const Chunk& cx) const {
  return plan_.place[index_of(id)] == Place::batch ? cx.rows : count_of(node_of(id).shape.rows);
}

// Where each node's value is read (value() asks for it at every step): an input
// (a chunk of a batch input starts r0 rows in), a column of the arena, or a
// place in the shared storage; a transposed batch is read in its argument's
// buffer and a view in the storage it is a block of.
template <class T>
void Runner<T>::locate_values() {
  const auto& nodes = plan_.tape.nodes();
  where_.assign(nodes.size(), Where{});
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    Where& w = where_[i];
    if (node.op == Op::input) {
      w = {Where::In::input, plan_.place[i] == Place::batch, count_of(node.begin), 0, count_of(node.shape.cols)};
    } else if (plan_.place[i] == Place::batch) {
      w = {Where::In::arena, false, plan_.offset[i], 0, 0};
    } else if (plan_.place[i] == Place::transposed) {
      w = where_[index_of(node.a)];  // arguments come first in a tape
    } else if (const NodeId whole = plan_.view_of[i]; whole != no_node) {
      w = where_[index_of(whole)];  // a block of an earlier value's storage
      (w.in == Where::In::input ? w.offset : w.at) += plan_.view_offset[i];
    } else {
      w = {Where::In::shared, false, plan_.offset[i], 0, 0};
    }
  }
}

// Where a step writes: a reduction inside a chunk adds into its partial sum.
template <class T>
T* Runner<T>::result(NodeId id, const Chunk& cx) {
  const std::size_t i = index_of(id);
  if (plan_.reduction[i] && cx.partial) return cx.partial + plan_.partial_offset[i];
  return const_cast<T*>(value(id, cx));
}

// Whether a reduction's step adds to its sum, or (the first into it in a block) writes it.
template <class T>
bool Runner<T>::adds_to_sum(NodeId id, const Chunk& cx) const {
  return !(cx.first_in_block && plan_.first_into_total[index_of(id)]);
}

// Whether a product (X ⊙ r)·B computes X·(diag(r)·B) this run (exec/scaled_rows.cpp).
template <class T>
bool Runner<T>::folds_scale(NodeId product) const {
  const Node& node = node_of(product);
  return large_batch_ && node.op == Op::matmul && plan_.scaled_rows[index_of(node.a)] != no_node;
}

template <class T>
bool Runner<T>::reads_weight_by_rows(bool weight_read_through, std::size_t cols) const {
  return weight_read_through && (!large_batch_ || cols < narrow_product);
}

template <class T>
void Runner<T>::step(NodeId id, const Chunk& cx) {
  if (large_batch_ && plan_.scaled_rows[index_of(id)] != no_node) return;  // its products fold the scale this run
  const Node& node = node_of(id);
  const std::size_t rows = rows_of(id, cx), cols = count_of(node.shape.cols);
  T* y = result(id, cx);
  // clang-format off
  switch (node.op) {
    case Op::input: return;  // bound by the user, never a step
    case Op::fill: std::fill(y, y + rows * cols, static_cast<T>(node.value)); break;
    case Op::neg: case Op::square: case Op::sqrt: case Op::exp: case Op::log: case Op::log1p:
    case Op::tanh: case Op::sigmoid: case Op::softplus: case Op::silu: case Op::sin: case Op::cos:
    case Op::pow: case Op::add_scalar: case Op::mul_scalar: case Op::relu: case Op::abs:
    case Op::step: case Op::sign: case Op::add: case Op::sub: case Op::mul: case Op::div:
      elementwise(node, rows, cx, y);
      break;
    case Op::broadcast_rows: case Op::spread_rows: case Op::broadcast_cols: case Op::sum_rows:
    case Op::mean_rows: case Op::sum_cols:
      copy_or_sum(id, node, rows, cx, y);
      break;
    case Op::transpose:
      if (plan_.read_through[index_of(id)] && !large_batch_) return;  // its users read W by rows this run
      layout(node, rows, cx, y);
      break;
    case Op::slice_cols: case Op::pad_cols: case Op::concat_cols: layout(node, rows, cx, y); break;
    case Op::matmul: product(id, node, rows, cx, y); break;
  }
  // clang-format on
  if (options_.check_finite) check_finite(id, y, rows, cols, plan_.place[index_of(id)] == Place::batch ? cx.r0 : 0);
}

// y = op(a) or a op b, entry by entry; an operand that is a bias row read
// through is the same row for every row of y.
template <class T>
void Runner<T>::elementwise(const Node& node, std::size_t rows, const Chunk& cx, T* y) {
  const std::size_t cols = count_of(node.shape.cols);
  if (op_kind(node.op) == OpKind::unary) {
    kernels::unary(node.op, value(node.a, cx), y, rows * cols, static_cast<T>(node.value), options_.simd);
    return;
  }
  const bool a_row = plan_.read_through[index_of(node.a)], b_row = plan_.read_through[index_of(node.b)];
  if (!a_row && !b_row) {
    kernels::binary(node.op, value(node.a, cx), value(node.b, cx), y, rows * cols, options_.simd);
    return;
  }
  auto row_of = [&](NodeId arg, bool is_row) {  // (pointer, step between rows)
    return is_row ? std::pair{value(node_of(arg).a, cx), std::size_t(0)} : std::pair{value(arg, cx), cols};
  };
  const auto [pa, step_a] = row_of(node.a, a_row);
  const auto [pb, step_b] = row_of(node.b, b_row);
  for (std::size_t r = 0; r < rows; ++r)
    kernels::binary(node.op, pa + r * step_a, pb + r * step_b, y + r * cols, cols, options_.simd);
}

// Broadcasts and sums. Inside a chunk a sum over the batch adds into its
// partial sum; a mean's division by the batch size waits for the merge.
template <class T>
void Runner<T>::copy_or_sum(NodeId id, const Node& node, std::size_t rows, const Chunk& cx, T* y) {
  const T* a = value(node.a, cx);
  const std::size_t cols = count_of(node.shape.cols);
  const std::size_t a_rows = rows_of(node.a, cx), a_cols = count_of(node_of(node.a).shape.cols);
  auto total_rows = [&](Dim d) { return static_cast<T>(d == batch ? batch_rows_ : count_of(d)); };
  if (node.op == Op::broadcast_rows || node.op == Op::spread_rows) {
    const T scale = node.op == Op::spread_rows ? T(1) / total_rows(node.size) : T(1);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = 0; j < cols; ++j) y[r * cols + j] = a[j] * scale;
  } else if (node.op == Op::broadcast_cols) {
    for (std::size_t r = 0; r < rows; ++r) std::fill(y + r * cols, y + (r + 1) * cols, a[r]);
  } else if (node.op == Op::sum_cols) {
    kernels::sum_cols(a, y, rows, a_cols, options_.simd);
  } else if (plan_.reduction[index_of(id)] && cx.partial) {  // sum_rows, mean_rows over this chunk
    kernels::sum_rows(a, y, a_rows, cols, adds_to_sum(id, cx), options_.simd);
  } else {  // sum_rows, mean_rows at once
    kernels::sum_rows(a, y, a_rows, cols, false, options_.simd);
    const T scale = T(1) / total_rows(node_of(node.a).shape.rows);
    if (node.op == Op::mean_rows) kernels::unary(Op::mul_scalar, y, y, cols, scale, options_.simd);
  }
}

// Transposes (of a shared value: a batch one is never formed), slices, pads, concatenations.
template <class T>
void Runner<T>::layout(const Node& node, std::size_t rows, const Chunk& cx, T* y) {
  const T* a = value(node.a, cx);
  const std::size_t cols = count_of(node.shape.cols), a_cols = count_of(node_of(node.a).shape.cols);
  const std::size_t first = count_of(node.begin);
  if (node.op == Op::transpose) {
    for (std::size_t j = 0; j < a_cols; ++j)  // row j of y, written in order
      for (std::size_t r = 0; r < cols; ++r) y[j * cols + r] = a[r * a_cols + j];
  } else if (node.op == Op::slice_cols && cols == 1) {  // a column (a row of W, cut from Wᵀ): no call per entry
    for (std::size_t r = 0; r < rows; ++r) y[r] = a[r * a_cols + first];
  } else if (node.op == Op::slice_cols) {
    for (std::size_t r = 0; r < rows; ++r) std::copy_n(a + r * a_cols + first, cols, y + r * cols);
  } else if (node.op == Op::pad_cols) {
    std::fill(y, y + rows * cols, T(0));
    for (std::size_t r = 0; r < rows; ++r) std::copy_n(a + r * a_cols, a_cols, y + r * cols + first);
  } else {  // concat_cols
    const T* b = value(node.b, cx);
    const std::size_t b_cols = cols - a_cols;
    for (std::size_t r = 0; r < rows; ++r) {
      std::copy_n(a + r * a_cols, a_cols, y + r * cols);
      std::copy_n(b + r * b_cols, b_cols, y + r * cols + a_cols);
    }
  }
}

// C = A·B by the GEMM kernel, which takes strided views: Xᵀ·Y over the chunk's
// rows (a sum over the batch), Y·Wᵀ reading W by rows, (X ⊙ r)·B as X·(diag(r)·B)
// at large batches (exec/scaled_rows.cpp), or a plain product.
template <class T>
void Runner<T>::product(NodeId id, const Node& node, std::size_t rows, const Chunk& cx, T* y) {
  const std::size_t cols = count_of(node.shape.cols);
  const T* a = value(node.a, cx);
  if (plan_.place[index_of(node.a)] == Place::transposed) {  // A(i, p) = X[p][i]
    const std::size_t x_cols = count_of(node_of(node_of(node.a).a).shape.cols);
    const bool accumulate = plan_.reduction[index_of(id)] && cx.partial && adds_to_sum(id, cx);
    kernels::gemm(x_cols, cols, cx.rows, a, 1, x_cols, value(node.b, cx), cols, 1, y, cols, accumulate, nullptr,
                  options_.simd);
    return;
  }
  const std::size_t k = count_of(node_of(node.a).shape.cols);
  const T* row = bias_row(id, cx);
  if (folds_scale(id)) {  // X·(diag(r)·B)
    const T* scaled_weight = shared_.data() + plan_.scaled_weights[plan_.scaled_weight_of[index_of(id)]].offset;
    const T* x = value(plan_.scaled_rows[index_of(node.a)], cx);
    kernels::gemm(rows, cols, k, x, k, 1, scaled_weight, cols, 1, y, cols, false, row, options_.simd);
  } else if (reads_weight_by_rows(plan_.read_through[index_of(node.b)], cols)) {  // Wᵀ(p, j) = W[j][p]
    const T* w = value(node_of(node.b).a, cx);
    kernels::gemm(rows, cols, k, a, k, 1, w, 1, k, y, cols, false, row, options_.simd);
  } else {
    kernels::gemm(rows, cols, k, a, k, 1, value(node.b, cx), cols, 1, y, cols, false, row, options_.simd);
  }
}

// The row a product adds as it stores (exec/bias_rows.cpp): the value its
// broadcast bias row repeats, or no node.
template <class T>
NodeId Runner<T>::bias_source(NodeId product) const {
  const NodeId row = plan_.bias_row[index_of(product)];
  return row == no_node ? no_node : node_of(row).a;
}

// That row in this chunk, or nullptr.
template <class T>
const T* Runner<T>::bias_row(NodeId product, const Chunk& cx) const {
  const NodeId source = bias_source(product);
  return source == no_node ? nullptr : value(source, cx);
}

// What a pair needs from the plan, found once: its nodes' arguments, the
// weight (or the W a read-through Wᵀ is read by rows from), the bias rows.
template <class T>
void Runner<T>::compile_pairs() {
  pairs_.assign(plan_.chunk.size(), PairedProducts{});
  for (std::size_t s = 0; s + 1 < plan_.chunk.size(); ++s) {
    if (!plan_.paired[s]) continue;
    const NodeId first = plan_.chunk[s], second = plan_.chunk[s + 1];
    const Node& x = node_of(first);
    PairedProducts& p = pairs_[s];
    p.first = first;
    p.second = second;
    p.a0 = x.a;
    p.a1 = node_of(second).a;
    p.weight = x.b;
    p.weight_rows = plan_.read_through[index_of(x.b)] ? node_of(x.b).a : no_node;
    p.row0 = bias_source(first);
    p.row1 = bias_source(second);
    p.cols = count_of(x.shape.cols);
    p.k = count_of(node_of(x.a).shape.cols);
    p.may_fold_scale = plan_.scaled_rows[index_of(p.a0)] != no_node || plan_.scaled_rows[index_of(p.a1)] != no_node;
  }
}

// A product and its partner at one row, the weight read once (planning.cpp, pair_products).
template <class T>
void Runner<T>::step_pair(const PairedProducts& p, const Chunk& cx) {
  const bool by_rows = reads_weight_by_rows(p.weight_rows != no_node, p.cols);
  const T* b = value(by_rows ? p.weight_rows : p.weight, cx);
  auto row = [&](NodeId source) { return source == no_node ? nullptr : value(source, cx); };
  T* const y0 = result(p.first, cx);
  T* const y1 = result(p.second, cx);
  kernels::gemm_pair(p.cols, p.k, value(p.a0, cx), value(p.a1, cx), b, by_rows ? std::size_t(1) : p.cols,
                     by_rows ? p.k : std::size_t(1), y0, y1, row(p.row0), row(p.row1), options_.simd);
  if (options_.check_finite) {
    check_finite(p.first, y0, 1, p.cols, cx.r0);
    check_finite(p.second, y1, 1, p.cols, cx.r0);
  }
}

template <class T>
void Runner<T>::check_finite(NodeId id, const T* y, std::size_t rows, std::size_t cols, std::size_t r0) const {
  for (std::size_t k = 0; k < rows * cols; ++k) {
    if (std::isfinite(y[k])) continue;
    const Node& node = node_of(id);
    const std::string from =
        node.origin.kind == Origin::primal
            ? ""
            : fmt::format(", {} of %{}", node.origin.kind == Origin::tangent ? "tangent" : "adjoint", node.origin.of);
    throw NonFiniteError(
        fmt::format("Program::run: node %{} ({}{}) produced {} at row {}, column {}; print the tape "
                    "(wengert::to_string) to see what feeds it",
                    id, op_name(node.op), from, std::isnan(y[k]) ? "NaN" : "Inf", r0 + k / cols, k % cols));
  }
}

template class Runner<float>;
template class Runner<double>;

}  // namespace wengert::detail
