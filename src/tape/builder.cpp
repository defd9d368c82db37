#include "tape/builder.hpp"

#include <bit>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::detail {

namespace {

std::string dim_text(Dim d) { return d == batch ? "B" : std::to_string(d); }

[[noreturn]] void shape_error(Op op, Shape a, Shape b, std::string_view why) {
  throw ShapeError(fmt::format("{}: shapes {} and {} do not fit: {}", op_name(op), to_string(a), to_string(b), why));
}

[[noreturn]] void shape_error(Op op, Shape a, std::string_view why) {
  throw ShapeError(fmt::format("{}: shape {} does not fit: {}", op_name(op), to_string(a), why));
}

}  // namespace

std::size_t Builder::KeyHash::operator()(const Key& k) const {
  std::size_t h = static_cast<std::size_t>(k.op);
  for (std::uint64_t x : {std::uint64_t(k.a), std::uint64_t(k.b), k.value_bits, std::uint64_t(k.begin),
                          std::uint64_t(k.size), std::uint64_t(k.rows), std::uint64_t(k.cols)})
    h = h * 0x9E3779B97F4A7C15ull + x + (h >> 29);
  return h;
}

NodeId Builder::append(Node node) {
  node.origin = origin_;
  return tape_.append(node);
}

NodeId Builder::input(std::string name, Role role, Shape shape) {
  if (shape.cols == batch || shape.cols < 1 || (shape.rows != batch && shape.rows < 1))
    throw ShapeError(
        fmt::format("input '{}': shape {} is not valid: columns and rows must be positive", name, to_string(shape)));
  if (tape_.has_input(name))
    throw UsageError(fmt::format("input '{}': the tape already has an input of that name; pick another", name));
  return tape_.add_input(std::move(name), role, shape);
}

NodeId Builder::fill(double value, Shape shape) {
  Key key{Op::fill, no_node, no_node, std::bit_cast<std::uint64_t>(value), 0, 0, shape.rows, shape.cols};
  if (auto it = shared_.find(key); it != shared_.end()) return it->second;
  Node n;
  n.op = Op::fill;
  n.value = value;
  n.shape = shape;
  NodeId id = append(n);
  shared_.emplace(key, id);
  return id;
}

Shape Builder::shape_rule(Op op, NodeId a, NodeId b, std::int64_t begin, std::int64_t size) const {
  Shape sa = shape(a);
  // clang-format off
  switch (op) {
    case Op::input: case Op::fill:
      break;  // leaves have their shape given
    case Op::neg: case Op::square: case Op::sqrt: case Op::exp: case Op::log: case Op::log1p:
    case Op::tanh: case Op::sigmoid: case Op::softplus: case Op::silu: case Op::sin: case Op::cos:
    case Op::pow: case Op::add_scalar: case Op::mul_scalar: case Op::relu: case Op::abs:
    case Op::step: case Op::sign:
      return sa;
    case Op::add: case Op::sub: case Op::mul: case Op::div:
      if (sa != shape(b)) shape_error(op, sa, shape(b), "element-wise operands need equal shapes");
      return sa;
    case Op::broadcast_rows: case Op::spread_rows:
      if (sa.rows != 1) shape_error(op, sa, "only a single row can be broadcast over rows");
      return {size, sa.cols};
    case Op::broadcast_cols:
      if (sa.cols != 1) shape_error(op, sa, "only a single column can be broadcast over columns");
      return {sa.rows, size};
    case Op::sum_rows: case Op::mean_rows:
      if (sa.cols == batch) shape_error(op, sa, "the columns of a transposed batch cannot be kept");
      return {1, sa.cols};
    case Op::sum_cols:
      if (sa.cols == batch) shape_error(op, sa, "summing over a transposed batch: use sum_rows before transposing");
      return {sa.rows, 1};
    case Op::transpose:
      return {sa.cols, sa.rows};
    case Op::slice_cols:
      if (sa.cols == batch || begin < 0 || size < 1 || begin + size > sa.cols)
        throw ShapeError(fmt::format("slice_cols: columns [{}, {}) are not inside shape {}", begin,
                                     begin + size, to_string(sa)));
      return {sa.rows, size};
    case Op::pad_cols:
      if (sa.cols == batch || begin < 0 || begin + sa.cols > size)
        throw ShapeError(fmt::format("pad_cols: shape {} placed at column {} does not fit in {} columns",
                                     to_string(sa), begin, dim_text(size)));
      return {sa.rows, size};
    case Op::concat_cols: {
      Shape sb = shape(b);
      if (sa.rows != sb.rows) shape_error(op, sa, sb, "concatenated operands need equal rows");
      if (sa.cols == batch || sb.cols == batch) shape_error(op, sa, sb, "cannot concatenate a transposed batch");
      return {sa.rows, sa.cols + sb.cols};
    }
    case Op::matmul: {
      Shape sb = shape(b);
      if (sa.cols != sb.rows) shape_error(op, sa, sb, "the columns of the first must equal the rows of the second");
      return {sa.rows, sb.cols};
    }
  }
  // clang-format on
  return sa;
}

NodeId Builder::emit(Op op, NodeId a, NodeId b, double value, std::int64_t begin, std::int64_t size) {
  Node y;
  y.op = op;
  y.a = a;
  y.b = b;
  y.value = value;
  y.begin = begin;
  y.size = size;
  y.shape = shape_rule(op, a, b, begin, size);
  if (NodeId folded = fold(y); folded != no_node) return folded;
  Key key{op, a, b, std::bit_cast<std::uint64_t>(value), begin, size, y.shape.rows, y.shape.cols};
  if (auto it = shared_.find(key); it != shared_.end()) return it->second;
  NodeId id = append(y);
  shared_.emplace(key, id);
  return id;
}

std::pair<NodeId, NodeId> Builder::broadcast_pair(Op op, NodeId a, NodeId b) {
  Shape sa = shape(a), sb = shape(b);
  if (sa == sb) return {a, b};
  auto stretch = [&](NodeId x, Shape from, Shape to) -> NodeId {
    if (from.cols == 1 && to.cols != 1 && to.cols != batch) {
      x = broadcast_cols(x, to.cols);
      from.cols = to.cols;
    }
    if (from.rows == 1 && to.rows != 1) {
      x = broadcast_rows(x, to.rows);
      from.rows = to.rows;
    }
    return from == to ? x : no_node;
  };
  if (NodeId x = stretch(a, sa, sb); x != no_node) return {x, b};
  if (NodeId y = stretch(b, sb, sa); y != no_node) return {a, y};
  shape_error(op, sa, sb, "they are neither equal nor broadcastable ((1, c), (r, 1) or (1, 1) stretch)");
}

NodeId Builder::import_node(const Tape& f, std::size_t i, std::span<const NodeId> binding,
                            const std::vector<NodeId>& map) {
  const Node& n = f.nodes()[i];
  const Origin saved = origin_;
  origin_ = {n.origin.kind, n.origin.of == no_node ? no_node : map[static_cast<std::size_t>(n.origin.of)]};
  if (n.origin.of != no_node && origin_.of == no_node) origin_.kind = Origin::primal;
  NodeId id;
  if (n.op == Op::input) {
    const Input& in = f.inputs()[static_cast<std::size_t>(n.begin)];
    id = binding[static_cast<std::size_t>(n.begin)];
    if (shape(id) != in.shape)
      throw ShapeError(fmt::format("call: input '{}' has shape {}, the value bound to it has shape {}", in.name,
                                   to_string(in.shape), to_string(shape(id))));
  } else if (n.op == Op::fill) {
    id = fill(n.value, n.shape);
  } else {
    NodeId a = n.a == no_node ? no_node : map[static_cast<std::size_t>(n.a)];
    NodeId b = n.b == no_node ? no_node : map[static_cast<std::size_t>(n.b)];
    id = emit(n.op, a, b, n.value, n.begin, n.size);
  }
  origin_ = saved;
  return id;
}

std::vector<NodeId> Builder::import(const Tape& f, std::span<const NodeId> binding) {
  std::vector<NodeId> map(f.nodes().size(), no_node);
  for (std::size_t i = 0; i < f.nodes().size(); ++i) map[i] = import_node(f, i, binding, map);
  return map;
}

std::vector<NodeId> Builder::copy(const Tape& f) {
  std::vector<NodeId> binding;
  for (const Input& in : f.inputs()) binding.push_back(input(in.name, in.role, in.shape));
  return import(f, binding);
}

}  // namespace wengert::detail
