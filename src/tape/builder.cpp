#include "tape/builder.hpp"

#include "tape/shapes.hpp"

#include <algorithm>
#include <bit>
#include <mutex>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::detail {

namespace {

// The live Builders and their generations. Never destroyed: Builders in static
// objects may outlive any static registry.
struct Registry {
  std::mutex mutex;
  std::unordered_map<const Builder*, std::uint32_t> live;
  std::uint32_t next = 1;
};
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

}  // namespace

Builder::Builder() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  generation_ = r.next++;
  r.live[this] = generation_;
}

Builder::~Builder() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.live.erase(this);
}

bool Builder::is_live(const Builder* builder, std::uint32_t generation) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const auto it = r.live.find(builder);
  return it != r.live.end() && it->second == generation;
}

std::size_t Builder::KeyHash::operator()(const Key& k) const {
  std::size_t h = static_cast<std::size_t>(k.op);
  for (std::uint64_t x : {std::uint64_t(k.a), std::uint64_t(k.b), k.value_bits, std::uint64_t(k.begin),
                          std::uint64_t(k.size), std::uint64_t(k.rows), std::uint64_t(k.cols)})
    h = h * 0x9E3779B97F4A7C15ull + x + (h >> 29);
  return h;
}

void Builder::output(std::string name, NodeId id) {
  check_name("output", name);
  if (id < 0 || std::size_t(id) >= tape_.nodes().size())
    throw UsageError(fmt::format("output '{}': %{} is not a node of this tape", name, id));
  tape_.add_output(std::move(name), id);
}

NodeId Builder::append(Node node) {
  node.origin = origin_;
  return tape_.append(node);
}

void check_name(const char* what, std::string_view name) {
  const bool printable = std::all_of(name.begin(), name.end(),
                                     [](unsigned char c) { return c > ' ' && c != 0x7f && c != '\'' && c != '"'; });
  if (name.empty() || !printable)
    throw UsageError(
        fmt::format("{} '{}': a name must be non-empty, without spaces, quotes or control characters", what, name));
}

NodeId Builder::input(std::string name, Role role, Shape shape) {
  check_name("input", name);
  check_shape(fmt::format("input '{}'", name).c_str(), shape, false);
  if (tape_.has_input(name))
    throw UsageError(fmt::format("input '{}': the tape already has an input of that name; pick another", name));
  return tape_.add_input(std::move(name), role, shape);
}

NodeId Builder::fill(double value, Shape shape) {
  check_shape("fill", shape, true);
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

NodeId Builder::emit(Op op, NodeId a, NodeId b, double value, std::int64_t begin, std::int64_t size) {
  Node y;
  y.op = op;
  y.a = a;
  y.b = b;
  y.value = value;
  y.begin = begin;
  y.size = size;
  y.shape = infer_shape(op, shape(a), b == no_node ? Shape{} : shape(b), begin, size);
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
  throw ShapeError(
      fmt::format("{}: shapes {} and {} do not fit: they are neither equal nor broadcastable ((1, c), "
                  "(r, 1) or (1, 1) stretch)",
                  op_name(op), to_string(sa), to_string(sb)));
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
