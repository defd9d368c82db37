// =============================================================================
// Chapter 1. Forward mode: the Jacobian-vector product, jvp
// =============================================================================
//
// The idea. Push a small change through the program. Give every input x a
// tangent x_dot, a direction in which it moves; then every intermediate y moves
// too, at rate y_dot, and the chain rule says how: for y = f(a, b),
//
//     y_dot = df/da · a_dot + df/db · b_dot.
//
// Walk the tape from first node to last, and each y_dot is ready when its
// arguments' tangents are. At the end the outputs' tangents are J · x_dot: one
// column of the Jacobian per walk, at about the cost of one more evaluation.
//
// A worked example, two lines:     y1 = x * x          y1_dot = 2x · x_dot
//                                  y2 = sin(y1)        y2_dot = cos(y1) · y1_dot
// At x = 3, x_dot = 1: y1_dot = 6 and y2_dot = 6 cos 9, which is d sin(x²)/dx.
//
// Tapes in, tapes out. We do not compute numbers here. For each node we emit
// the nodes that compute its tangent, into a new tape that also holds the
// original computation. The rules are written in ops (rules.cpp for the
// element-wise ones), so the result is an ordinary tape: it can be printed, run,
// or differentiated again — that is how hvp.cpp gets second derivatives.
//
// Symbolic zeros. A node that does not depend on any x in `wrt` has a tangent
// that is exactly zero. We never emit it: such nodes have no tangent at all
// (no_node below), and a rule that meets one on one side only uses the other
// side. Where a rule does need a zero tensor, the Builder folds it away
// (0 · a = 0, a + 0 = a). Differentiating with respect to x alone therefore
// never drags the parameters' tangents along.
//
// The walk, below: (1) the inputs and an input x_dot for each x, (2) one pass
// over the nodes, copying each and emitting its tangent, with one switch over
// the ops.
//
// Read next: vjp.cpp (reverse mode), then hvp.cpp (the two combined).
// =============================================================================

#include "ad/rules.hpp"
#include "ad/transform.hpp"
#include "tape/index.hpp"
#include "wengert/ad.hpp"

namespace wengert {

namespace {

using detail::Builder;
using detail::index_of;

// The tangent of node n (now `y`, with arguments now `a`, `b`), given the
// tangents of its arguments (no_node where they are zero). One case per op.
NodeId tangent_rule(Builder& bld, const Node& n, NodeId y, NodeId a, NodeId b, NodeId a_dot, NodeId b_dot) {
  auto zero_if_none = [&](NodeId dot, NodeId primal) { return dot == no_node ? bld.zeros(bld.shape(primal)) : dot; };
  // clang-format off
  switch (n.op) {
    // Element-wise: y_dot = dy/da a_dot + dy/db b_dot, with the table of rules.cpp.
    case Op::neg: case Op::square: case Op::sqrt: case Op::exp: case Op::log: case Op::log1p:
    case Op::tanh: case Op::sigmoid: case Op::softplus: case Op::silu: case Op::sin: case Op::cos:
    case Op::pow: case Op::add_scalar: case Op::mul_scalar: case Op::relu: case Op::abs:
    case Op::step: case Op::sign: case Op::add: case Op::sub: case Op::mul: case Op::div: {
      NodeId sum = no_node;
      for (int k = 0; k < 2; ++k) {
        NodeId dot = k == 0 ? a_dot : b_dot;
        if (dot == no_node) continue;  // a symbolic zero contributes nothing
        NodeId term = bld.mul(dot, detail::local_derivative(bld, n, y, a, b, k, "jvp"));
        sum = sum == no_node ? term : bld.add(sum, term);
      }
      return sum;
    }
    // Linear ops are their own derivative: y_dot = op(a_dot).
    case Op::broadcast_rows: case Op::spread_rows: case Op::broadcast_cols: case Op::sum_rows:
    case Op::mean_rows: case Op::sum_cols: case Op::transpose: case Op::slice_cols: case Op::pad_cols:
      return bld.emit(n.op, a_dot, no_node, n.value, n.begin, n.size);
    case Op::concat_cols:  // d[a, b] = [da, db]
      return bld.concat_cols(zero_if_none(a_dot, a), zero_if_none(b_dot, b));
    case Op::matmul: {  // d(AB) = dA B + A dB
      NodeId left = a_dot == no_node ? no_node : bld.matmul(a_dot, b);
      NodeId right = b_dot == no_node ? no_node : bld.matmul(a, b_dot);
      if (left == no_node) return right;
      return right == no_node ? left : bld.add(left, right);
    }
    case Op::input: case Op::fill:
      break;  // leaves: their tangents are seeded (inputs) or zero (fills)
  }
  // clang-format on
  return no_node;
}

}  // namespace

Tape jvp(const Tape& f, const std::vector<std::string>& wrt) {
  // (1) The inputs: f's own, then a tangent input x_dot for each x in wrt — the seeds of the walk.
  Builder bld;
  std::vector<NodeId> binding;
  for (const Input& in : f.inputs()) binding.push_back(bld.input(in.name, in.role, in.shape));
  std::vector<NodeId> dot(f.nodes().size(), no_node);
  for (const std::string& name : detail::checked_names("jvp", f, wrt)) {
    const Input& in = f.inputs()[f.input_index(name)];
    dot[index_of(in.node)] = bld.input(name + "_dot", in.role, in.shape);
  }

  // (2) The walk, first node to last: each node of f, then at once its tangent from its arguments'
  // tangents. Emitting the two side by side keeps a product and its tangent adjacent on the tape,
  // where the executor can run them together (they share the weight).
  std::vector<NodeId> primal(f.nodes().size(), no_node);
  for (std::size_t i = 0; i < f.nodes().size(); ++i) {
    primal[i] = bld.import_node(f, i, binding, primal);
    const Node& n = f.nodes()[i];
    if (op_arity(n.op) == 0) continue;
    NodeId a_dot = dot[index_of(n.a)];
    NodeId b_dot = n.b == no_node ? no_node : dot[index_of(n.b)];
    if (a_dot == no_node && b_dot == no_node) continue;  // symbolic zero: emit nothing
    bld.set_origin({Origin::tangent, primal[i]});
    NodeId a = primal[index_of(n.a)];
    NodeId b = n.b == no_node ? no_node : primal[index_of(n.b)];
    dot[i] = tangent_rule(bld, n, primal[i], a, b, a_dot, b_dot);
    bld.set_origin({});
  }

  // The outputs: the primal ones, then each one's tangent y_dot.
  bld.set_origin({});
  for (const Output& out : f.outputs()) bld.output(out.name, primal[index_of(out.node)]);
  for (const Output& out : f.outputs()) {
    NodeId d = dot[index_of(out.node)];
    bld.output(out.name + "_dot", d == no_node ? bld.zeros(f.node(out.node).shape) : d);
  }
  return eliminate_dead_code(bld.tape());
}

}  // namespace wengert
