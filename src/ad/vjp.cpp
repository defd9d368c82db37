// =============================================================================
// Chapter 2. Reverse mode: the vector-Jacobian product, vjp, and grad
// =============================================================================
//
// The idea. Ask the question backwards. Give every output y a weight y_bar and
// ask how the weighted sum y_bar · y changes with each intermediate value. That
// sensitivity is the adjoint, a_bar. The chain rule, read from the output end,
// says that each use of a in y = f(a, b) contributes
//
//     a_bar += y_bar · df/da        (and b_bar += y_bar · df/db),
//
// so a walk from the last node to the first, after the primal values are known,
// hands every adjoint down to the arguments. At the end the inputs' adjoints are
// Jᵀ · y_bar: for a scalar output and y_bar = 1, the whole gradient in one walk,
// at a small constant multiple of one evaluation (Griewank & Walther's
// cheap-gradient principle), however many inputs there are.
//
// A worked example, the same two lines as chapter 1, walked backwards:
//     y2 = sin(y1)      y1_bar  = y2_bar · cos(y1)
//     y1 = x * x        x_bar  += y1_bar · x, twice (x is used twice) = 2x · y1_bar
// With y2_bar = 1 at x = 3: x_bar = 6 cos 9, the same number as forward mode.
//
// The `+=` matters: a value used twice receives two contributions. Adjoints are
// accumulated with add nodes, so a value used by many nodes (a weight used by
// every layer's product) collects them all.
//
// Tapes in, tapes out. As in chapter 1 we emit nodes, not numbers: the new tape
// first computes the primal values (the forward sweep), then the adjoints (the
// reverse sweep), which refer back to the primal values they need. Every rule is
// an op, so the reverse sweep can itself be differentiated (chapter 3).
//
// Symbolic zeros. Only nodes that depend on an input in `wrt` are active; an
// inactive argument receives no adjoint and no node is emitted for it. So
// grad(phi, {"x"}) never computes the parameters' gradient, and vice versa.
//
// Linear ops and their adjoints come in pairs: the adjoint of broadcasting a row
// over the batch is summing over the batch; of slicing, padding with zeros; of
// a matrix product with B, the product with Bᵀ.
//
// Read next: hvp.cpp, forward mode applied to this chapter's tape.
// =============================================================================

#include "ad/rules.hpp"
#include "ad/transform.hpp"
#include "tape/index.hpp"
#include "wengert/ad.hpp"

namespace wengert {

namespace {

using detail::Builder;
using detail::index_of;

// Adds the contribution of node n (now `y`, with adjoint y_bar) to the adjoints
// of its active arguments. One case per op.
void adjoint_rule(Builder& bld, const char* mode, const Node& n, NodeId y, NodeId a, NodeId b, NodeId y_bar,
                  bool a_active, bool b_active, NodeId& a_bar, NodeId& b_bar) {
  auto accumulate = [&](NodeId& bar, NodeId contribution) {  // bar += contribution
    bar = bar == no_node ? contribution : bld.add(bar, contribution);
  };
  // clang-format off
  switch (n.op) {
    // Element-wise: a_bar += y_bar · dy/da, with the table of rules.cpp.
    case Op::neg: case Op::square: case Op::sqrt: case Op::exp: case Op::log: case Op::log1p:
    case Op::tanh: case Op::sigmoid: case Op::softplus: case Op::silu: case Op::sin: case Op::cos:
    case Op::pow: case Op::add_scalar: case Op::mul_scalar: case Op::relu: case Op::abs:
    case Op::step: case Op::sign: case Op::add: case Op::sub: case Op::mul: case Op::div:
      if (a_active) accumulate(a_bar, bld.mul(y_bar, detail::local_derivative(bld, n, y, a, b, 0, mode)));
      if (b_active) accumulate(b_bar, bld.mul(y_bar, detail::local_derivative(bld, n, y, a, b, 1, mode)));
      return;
    case Op::broadcast_rows:  // y = [a; a; ...]:  a_bar += Σ_rows y_bar
      accumulate(a_bar, bld.sum_rows(y_bar));
      return;
    case Op::spread_rows:  // y = [a; a; ...] / rows:  a_bar += mean_rows y_bar
      accumulate(a_bar, bld.mean_rows(y_bar));
      return;
    case Op::broadcast_cols:  // y = [a, a, ...]:  a_bar += Σ_cols y_bar
      accumulate(a_bar, bld.sum_cols(y_bar));
      return;
    case Op::sum_rows:  // y = Σ_rows a:  a_bar += y_bar on every row
      accumulate(a_bar, bld.broadcast_rows(y_bar, bld.shape(a).rows));
      return;
    case Op::mean_rows:  // y = Σ_rows a / rows:  a_bar += y_bar / rows on every row
      accumulate(a_bar, bld.spread_rows(y_bar, bld.shape(a).rows));
      return;
    case Op::sum_cols:  // y = Σ_cols a:  a_bar += y_bar in every column
      accumulate(a_bar, bld.broadcast_cols(y_bar, bld.shape(a).cols));
      return;
    case Op::transpose:  // y = aᵀ:  a_bar += y_barᵀ
      accumulate(a_bar, bld.transpose(y_bar));
      return;
    case Op::slice_cols:  // y = a[:, begin:begin+size]:  a_bar += y_bar padded with zeros
      accumulate(a_bar, bld.pad_cols(y_bar, n.begin, bld.shape(a).cols));
      return;
    case Op::pad_cols:  // y = [0, a, 0]:  a_bar += the middle of y_bar
      accumulate(a_bar, bld.slice_cols(y_bar, n.begin, bld.shape(a).cols));
      return;
    case Op::concat_cols:  // y = [a, b]:  a_bar += left part, b_bar += right part
      if (a_active) accumulate(a_bar, bld.slice_cols(y_bar, 0, bld.shape(a).cols));
      if (b_active) accumulate(b_bar, bld.slice_cols(y_bar, bld.shape(a).cols, bld.shape(b).cols));
      return;
    case Op::matmul:  // y = A B:  A_bar += y_bar Bᵀ,  B_bar += Aᵀ y_bar
      if (a_active) accumulate(a_bar, bld.matmul(y_bar, bld.transpose(b)));
      if (b_active) accumulate(b_bar, bld.matmul(bld.transpose(a), y_bar));
      return;
    case Op::input: case Op::fill:
      return;  // leaves: their adjoints are the results
  }
  // clang-format on
}

// The reverse sweep shared by vjp and grad: `bar` holds the seeds on entry
// (indexed by f's nodes) and every adjoint on exit.
void reverse_sweep(Builder& bld, const char* mode, const Tape& f, const std::vector<NodeId>& primal,
                   const std::vector<bool>& active, std::vector<NodeId>& bar) {
  for (std::size_t i = f.nodes().size(); i-- > 0;) {
    const Node& n = f.nodes()[i];
    if (bar[i] == no_node || !active[i] || op_arity(n.op) == 0) continue;
    bld.set_origin({Origin::adjoint, primal[i]});
    const std::size_t ia = index_of(n.a), ib = index_of(n.b == no_node ? n.a : n.b);
    NodeId unused = no_node;
    adjoint_rule(bld, mode, n, primal[i], primal[ia], n.b == no_node ? no_node : primal[ib], bar[i], active[ia],
                 n.b != no_node && active[ib], bar[ia], n.b == no_node ? unused : bar[ib]);
  }
  bld.set_origin({});
}

// active[i]: node i depends on some input in wrt (activity analysis).
std::vector<bool> activity(const Tape& f, const std::vector<std::string>& wrt) {
  std::vector<bool> active(f.nodes().size(), false);
  for (const std::string& name : wrt) active[index_of(f.inputs()[f.input_index(name)].node)] = true;
  for (std::size_t i = 0; i < f.nodes().size(); ++i) {
    const Node& n = f.nodes()[i];
    if (op_arity(n.op) >= 1 && active[index_of(n.a)]) active[i] = true;
    if (op_arity(n.op) == 2 && active[index_of(n.b)]) active[i] = true;
  }
  return active;
}

// Names the outputs x_bar after the sweep (zeros for an input no output depends on).
void add_adjoint_outputs(Builder& bld, const Tape& f, const std::vector<std::string>& wrt,
                         const std::vector<NodeId>& bar) {
  for (const std::string& name : wrt) {
    const Input& in = f.inputs()[f.input_index(name)];
    NodeId x_bar = bar[index_of(in.node)];
    bld.output(name + "_bar", x_bar == no_node ? bld.zeros(in.shape) : x_bar);
  }
}

}  // namespace

Tape vjp(const Tape& f, const std::vector<std::string>& wrt) {
  const std::vector<bool> active = activity(f, detail::checked_names("vjp", f, wrt));
  Builder bld;
  std::vector<NodeId> primal = bld.copy(f);
  std::vector<NodeId> bar(f.nodes().size(), no_node);
  for (const Output& out : f.outputs()) {  // the seeds: one input y_bar per output y
    const Node& y = f.node(out.node);
    NodeId seed = bld.input(out.name + "_bar", y.shape.rows == batch ? Role::data : Role::parameter, y.shape);
    NodeId& slot = bar[index_of(out.node)];
    slot = slot == no_node ? seed : bld.add(slot, seed);
  }
  reverse_sweep(bld, "vjp", f, primal, active, bar);
  for (const Output& out : f.outputs()) bld.output(out.name, primal[index_of(out.node)]);
  add_adjoint_outputs(bld, f, wrt, bar);
  return eliminate_dead_code(bld.tape());
}

Tape grad(const Tape& f, const std::vector<std::string>& wrt, const std::string& output) {
  const Output& y = detail::scalar_output("grad", f, output);
  const std::vector<bool> active = activity(f, detail::checked_names("grad", f, wrt));
  Builder bld;
  std::vector<NodeId> primal = bld.copy(f);
  std::vector<NodeId> bar(f.nodes().size(), no_node);
  bar[index_of(y.node)] = bld.fill(1.0, f.node(y.node).shape);  // the seed: y_bar = 1
  reverse_sweep(bld, "grad", f, primal, active, bar);
  bld.output(y.name, primal[index_of(y.node)]);
  add_adjoint_outputs(bld, f, wrt, bar);
  return eliminate_dead_code(bld.tape());
}

}  // namespace wengert
