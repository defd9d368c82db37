// The Builder appends nodes to a tape. It is the one place where nodes are
// created, by recording and by every transformation alike, so three things
// happen here for everyone:
//   1. shape rules: a mismatch throws ShapeError naming the op and both shapes;
//   2. folding: ops on `fill` nodes are evaluated now, and x + 0, x * 1, 0 * x,
//      -(-x) and friends are simplified. A fill of 0 is how a symbolic zero is
//      written, so derivative rules can be written naively and zeros vanish;
//   3. sharing: an op already emitted with the same arguments is returned
//      instead of emitted twice (common-subexpression elimination by hashing).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wengert/tape.hpp"

namespace wengert::detail {

/// UsageError unless `name` can name an input or output: non-empty, without
/// spaces, quotes or control characters (so that printed and saved tapes read back).
void check_name(const char* what, std::string_view name);

class Builder {
 public:
  Builder();
  ~Builder();
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  /// Which recording this is: a Var remembers it, so that a Var used after its
  /// Recorder is gone (and its address perhaps reused) is caught.
  std::uint32_t generation() const { return generation_; }
  /// Whether a Builder with this address and generation is alive now.
  static bool is_live(const Builder* builder, std::uint32_t generation);

  Tape& tape() { return tape_; }
  const Node& node(NodeId id) const { return tape_.node(id); }
  Shape shape(NodeId id) const { return tape_.node(id).shape; }

  /// Stamped on every node emitted from now on (transformations set it per rule).
  void set_origin(Origin origin) { origin_ = origin; }

  NodeId input(std::string name, Role role, Shape shape);
  /// Names node `id` an output of the tape.
  void output(std::string name, NodeId id);
  NodeId fill(double value, Shape shape);
  NodeId zeros(Shape shape) { return fill(0.0, shape); }

  /// The general entry: op with arguments and attributes (see Node).
  NodeId emit(Op op, NodeId a, NodeId b = no_node, double value = 0, std::int64_t begin = 0, std::int64_t size = 0);

  // Shorthands, used by the derivative rules.
  NodeId add(NodeId a, NodeId b) { return emit(Op::add, a, b); }
  NodeId sub(NodeId a, NodeId b) { return emit(Op::sub, a, b); }
  NodeId mul(NodeId a, NodeId b) { return emit(Op::mul, a, b); }
  NodeId div(NodeId a, NodeId b) { return emit(Op::div, a, b); }
  NodeId neg(NodeId a) { return emit(Op::neg, a); }
  NodeId unary(Op op, NodeId a) { return emit(op, a); }
  NodeId scale(NodeId a, double c) { return emit(Op::mul_scalar, a, no_node, c); }
  NodeId shift(NodeId a, double c) { return emit(Op::add_scalar, a, no_node, c); }
  NodeId pow(NodeId a, double p) { return emit(Op::pow, a, no_node, p); }
  NodeId matmul(NodeId a, NodeId b) { return emit(Op::matmul, a, b); }
  NodeId transpose(NodeId a) { return emit(Op::transpose, a); }
  NodeId sum_cols(NodeId a) { return emit(Op::sum_cols, a); }
  NodeId sum_rows(NodeId a) { return emit(Op::sum_rows, a); }
  NodeId mean_rows(NodeId a) { return emit(Op::mean_rows, a); }
  NodeId broadcast_rows(NodeId a, Dim rows) { return emit(Op::broadcast_rows, a, no_node, 0, 0, rows); }
  NodeId spread_rows(NodeId a, Dim rows) { return emit(Op::spread_rows, a, no_node, 0, 0, rows); }
  NodeId broadcast_cols(NodeId a, Dim cols) { return emit(Op::broadcast_cols, a, no_node, 0, 0, cols); }
  NodeId slice_cols(NodeId a, Dim begin, Dim count) { return emit(Op::slice_cols, a, no_node, 0, begin, count); }
  NodeId pad_cols(NodeId a, Dim begin, Dim total) { return emit(Op::pad_cols, a, no_node, 0, begin, total); }
  NodeId concat_cols(NodeId a, NodeId b) { return emit(Op::concat_cols, a, b); }

  /// Broadcasts a or b so that both have the same shape, for element-wise ops
  /// recorded by users: (1, c) and (r, 1) and (1, 1) stretch; `op` names the
  /// operation in the error.
  std::pair<NodeId, NodeId> broadcast_pair(Op op, NodeId a, NodeId b);

  /// Re-emits the nodes of `f` here, with f's inputs replaced by `binding`
  /// (one node per input of f, shapes checked). Returns the new id of each node.
  std::vector<NodeId> import(const Tape& f, std::span<const NodeId> binding);
  /// Re-creates f's inputs here (same names, roles, shapes), then imports its
  /// nodes; returns the new id of each node of f. How a transformation starts.
  std::vector<NodeId> copy(const Tape& f);
  /// One node of that import: node i of f, whose earlier nodes are already in `map`.
  NodeId import_node(const Tape& f, std::size_t i, std::span<const NodeId> binding, const std::vector<NodeId>& map);

  bool finished = false;

 private:
  // Folding (fold.cpp): the node to use instead of y, or no_node to emit y.
  NodeId fold(const Node& y);
  NodeId fold_unary(const Node& y);
  NodeId fold_binary(const Node& y);
  NodeId fold_copy_or_sum(const Node& y);
  NodeId fold_layout(const Node& y);
  NodeId fold_product(const Node& y);
  bool sums_over_batch(const Node& product) const;
  bool transposes_into_sums(NodeId id) const;
  NodeId append(Node node);

  struct Key {
    Op op;
    NodeId a, b;
    std::uint64_t value_bits;
    std::int64_t begin, size, rows, cols;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };

  std::uint32_t generation_;
  Tape tape_;
  Origin origin_;
  std::unordered_map<Key, NodeId, KeyHash> shared_;
};

}  // namespace wengert::detail
