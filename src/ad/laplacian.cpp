// =============================================================================
// Chapter 4. The forward Laplacian: gradient and Laplacian in one forward sweep
// =============================================================================
//
// The idea. The Laplacian Δφ = Σ_k ∂²φ/∂x_k² is the trace of the Hessian.
// Chapter 3 gets it from d HVPs, each a forward sweep through the gradient tape
// (about 4 evaluations of φ each). Li et al. (2023) noticed that one forward
// sweep can carry, for every intermediate y, three things at once:
//
//     y            its value,
//     y_dot_k      its derivative along each basis direction e_k (k = 1..d),
//     y_lap        the sum of its second derivatives along them, Σ_k ∂²y/∂x_k².
//
// For y = f(a) the chain rule, applied twice, gives
//
//     y_dot_k = f'(a) a_dot_k,
//     y_lap   = f'(a) a_lap + f''(a) Σ_k a_dot_k²,
//
// and for y = f(a, b) the curvature gains a cross term 2 f_ab Σ_k a_dot_k b_dot_k.
// Linear ops (products with weights, sums, slices) pass all three through
// unchanged in form. At the end φ_dot_k is ∇φ and φ_lap is Δφ — the two terms of
// the score-matching loss — for about d + 2 evaluations of φ instead of 4d.
//
// A worked example: y = sin(x1 x2) at x = (1, 2).
//     a = x1 x2:  a_dot = (x2, x1) = (2, 1),  a_lap = 2 Σ_k x1_dot_k x2_dot_k = 0
//     y = sin a:  y_dot = cos(a) (2, 1),     y_lap = cos(a)·0 - sin(a)(2² + 1²) = -5 sin 2.
//
// The seeds: x_dot_k is the basis vector e_k on every row, a constant, so the
// first layer's tangents x_dot_k · W are just the rows of W, repeated (the
// Builder folds the product: tape/fold.cpp), and x_lap is zero: no node at all
// (a symbolic zero).
//
// Like every transformation here, the result is a tape: the score-matching loss
// recorded from it can be differentiated again in theta (a third derivative).
//
// Read next: rules.cpp for f' and f''; tests/ad/laplacian_test.cpp, which checks
// this chapter against chapter 3.
// =============================================================================

#include "ad/rules.hpp"
#include "ad/transform.hpp"
#include "tape/index.hpp"
#include "wengert/ad.hpp"

namespace wengert {

namespace {

using detail::Builder;
using detail::index_of;

struct Jet {                // what the sweep carries for one node besides its value
  std::vector<NodeId> dot;  // one tangent per direction; no_node is a symbolic zero
  NodeId lap = no_node;
  bool active() const {
    if (lap != no_node) return true;
    for (NodeId d : dot)
      if (d != no_node) return true;
    return false;
  }
};

class Sweep {
 public:
  Sweep(Builder& bld, std::size_t directions) : bld_(bld), d_(directions) {}

  NodeId sum(NodeId acc, NodeId term) {  // acc + term, with no_node as zero
    if (term == no_node) return acc;
    return acc == no_node ? term : bld_.add(acc, term);
  }
  NodeId times(NodeId x, NodeId factor) { return x == no_node ? no_node : bld_.mul(x, factor); }

  // Σ_k a_dot_k b_dot_k (an inner product of the tangents), or no_node.
  NodeId cross(const Jet& a, const Jet& b, bool product) {
    NodeId acc = no_node;
    for (std::size_t k = 0; k < d_; ++k)
      if (a.dot[k] != no_node && b.dot[k] != no_node)
        acc = sum(acc, product ? bld_.matmul(a.dot[k], b.dot[k]) : bld_.mul(a.dot[k], b.dot[k]));
    return acc;
  }

  // The three rules, one per kind of op.
  Jet elementwise(const Node& n, NodeId y, NodeId a, NodeId b, const Jet& ja, const Jet& jb) {
    Jet out{std::vector<NodeId>(d_, no_node)};
    const bool binary = op_arity(n.op) == 2;
    const NodeId fa = detail::local_derivative(bld_, n, y, a, b, 0, "laplacian");
    const NodeId fb = binary ? detail::local_derivative(bld_, n, y, a, b, 1, "laplacian") : no_node;
    for (std::size_t k = 0; k < d_; ++k)
      out.dot[k] = sum(times(ja.dot[k], fa), binary ? times(jb.dot[k], fb) : no_node);
    out.lap = sum(times(ja.lap, fa), binary ? times(jb.lap, fb) : no_node);            // f' times the curvature below
    auto curvature = [&](int i, int j, const Jet& ji, const Jet& jj, double weight) {  // f_ij Σ_k i_dot_k j_dot_k
      NodeId c = cross(ji, jj, false);
      if (c == no_node) return;
      NodeId f2 = detail::second_derivative(bld_, n, y, a, b, i, j, "laplacian");
      out.lap = sum(out.lap, bld_.scale(bld_.mul(c, f2), weight));
    };
    curvature(0, 0, ja, ja, 1.0);
    if (binary) {
      curvature(0, 1, ja, jb, 2.0);
      curvature(1, 1, jb, jb, 1.0);
    }
    return out;
  }

  Jet linear(const Node& n, NodeId a, NodeId b, const Jet& ja, const Jet& jb) {
    Jet out{std::vector<NodeId>(d_, no_node)};
    auto op = [&](NodeId x, NodeId y_arg) -> NodeId {
      if (n.op == Op::concat_cols) {  // [x, y]: a zero side must be written out
        if (x == no_node && y_arg == no_node) return no_node;
        return bld_.concat_cols(x == no_node ? bld_.zeros(bld_.shape(a)) : x,
                                y_arg == no_node ? bld_.zeros(bld_.shape(b)) : y_arg);
      }
      return x == no_node ? no_node : bld_.emit(n.op, x, no_node, n.value, n.begin, n.size);
    };
    const bool two = n.op == Op::concat_cols;
    for (std::size_t k = 0; k < d_; ++k) out.dot[k] = op(ja.dot[k], two ? jb.dot[k] : no_node);
    out.lap = op(ja.lap, two ? jb.lap : no_node);
    return out;
  }

  Jet product(NodeId a, NodeId b, const Jet& ja, const Jet& jb) {  // y = A B
    Jet out{std::vector<NodeId>(d_, no_node)};
    auto left = [&](NodeId x) { return x == no_node ? no_node : bld_.matmul(x, b); };
    auto right = [&](NodeId x) { return x == no_node ? no_node : bld_.matmul(a, x); };
    for (std::size_t k = 0; k < d_; ++k) out.dot[k] = sum(left(ja.dot[k]), right(jb.dot[k]));
    out.lap = sum(sum(left(ja.lap), right(jb.lap)), [&] {  // + 2 Σ_k A_dot_k B_dot_k
      NodeId c = cross(ja, jb, true);
      return c == no_node ? no_node : bld_.scale(c, 2.0);
    }());
    return out;
  }

 private:
  Builder& bld_;
  std::size_t d_;
};

}  // namespace

Tape laplacian(const Tape& f, const std::string& x, const std::string& output) {
  const Output& y = detail::scalar_output("laplacian", f, output);
  const Shape ys = f.node(y.node).shape;
  const Input& in = f.inputs()[f.input_index(detail::checked_names("laplacian", f, {x}).front())];
  const std::size_t d = detail::count_of(in.shape.cols);

  Builder bld;
  std::vector<NodeId> primal = bld.copy(f);
  Sweep sweep(bld, d);
  std::vector<Jet> jet(f.nodes().size(), Jet{std::vector<NodeId>(d, no_node)});
  // The seeds: x_dot_k = e_k on every row; x_lap = 0.
  for (std::size_t k = 0; k < d; ++k)
    jet[index_of(in.node)].dot[k] =
        bld.pad_cols(bld.fill(1.0, {in.shape.rows, 1}), static_cast<Dim>(k), static_cast<Dim>(d));

  for (std::size_t i = 0; i < f.nodes().size(); ++i) {
    const Node& n = f.nodes()[i];
    if (op_arity(n.op) == 0) continue;
    const Jet& ja = jet[index_of(n.a)];
    const Jet& jb = n.b == no_node ? jet[i] : jet[index_of(n.b)];  // jet[i] is still all zero
    if (!ja.active() && !jb.active()) continue;
    bld.set_origin({Origin::tangent, primal[i]});
    const NodeId a = primal[index_of(n.a)];
    const NodeId b = n.b == no_node ? no_node : primal[index_of(n.b)];
    switch (op_kind(n.op)) {  // one rule per kind of op
      case OpKind::unary:
      case OpKind::binary: jet[i] = sweep.elementwise(n, primal[i], a, b, ja, jb); break;
      case OpKind::product: jet[i] = sweep.product(a, b, ja, jb); break;
      case OpKind::broadcast:
      case OpKind::reduction:
      case OpKind::layout: jet[i] = sweep.linear(n, a, b, ja, jb); break;
      case OpKind::leaf: break;  // no arguments: skipped above
    }
  }

  bld.set_origin({});
  const Jet& out = jet[index_of(y.node)];
  NodeId gradient = no_node;  // [y_dot_1, ..., y_dot_d]
  for (std::size_t k = 0; k < d; ++k) {
    NodeId g = out.dot[k] == no_node ? bld.zeros(ys) : out.dot[k];
    gradient = gradient == no_node ? g : bld.concat_cols(gradient, g);
  }
  bld.output(y.name, primal[index_of(y.node)]);
  bld.output(x + "_bar", gradient);  // the gradient, named as grad and hvp name it
  bld.output(x + "_laplacian", out.lap == no_node ? bld.zeros(ys) : out.lap);
  return eliminate_dead_code(bld.tape());
}

}  // namespace wengert
