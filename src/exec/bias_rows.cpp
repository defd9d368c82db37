// Bias rows in their products: pass 8 of planning (planning.cpp runs the
// passes in order). A dense layer is X·W + b: a product over the batch, then a
// bias row added to every row of it. Run as two steps, the sum goes out to the
// arena and comes back for the add, which writes it out again; the GEMM kernel
// can add the row instead while each block of the result is still in
// registers (kernels.hpp, gemm's `row`): one pass over the layer's output
// fewer, and at one sample one step fewer. The kernel rounds the sum first and
// then adds the row, as the add would: the same bits. The add is then never a
// step: its value is the product's storage (planning.cpp, storage_of).
#include "exec/plan.hpp"
#include "tape/index.hpp"

namespace wengert::detail {

namespace {

// Whether a shared value is ready when the product y runs: an input always,
// and a value computed before the chunks; but in a whole-batch run every value
// is a step of the one chunk, in tape order.
bool ready(const Plan& p, NodeId value, std::size_t y) {
  return p.tape.node(value).op == Op::input || !p.whole_batch || index_of(value) < y;
}

}  // namespace

// 8. Which adds X·W + b a product computes as it stores its result: the add of
//    a bias row read through to a product over batch rows that nothing else
//    reads, in that order (so that a NaN's bits are the add's too), the row
//    ready when the product runs. With ProgramOptions::fuse, as fusion:
//    without it every step runs by itself; and not with check_finite, which
//    names the first node to produce NaN or Inf: that may be the add.
void find_bias_rows(Plan& p, const ProgramOptions& options) {
  const auto& nodes = p.tape.nodes();
  p.bias_row.assign(nodes.size(), no_node);
  p.formed_by.assign(nodes.size(), no_node);
  if (!options.fuse || options.check_finite) return;
  std::vector<int> users(nodes.size(), 0);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (NodeId arg : {nodes[i].a, nodes[i].b})
      if (p.needed[i] && arg != no_node) ++users[index_of(arg)];
  for (const Output& out : p.tape.outputs()) ++users[index_of(out.node)];
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Node& sum = nodes[i];
    if (sum.op != Op::add || p.place[i] != Place::batch || !p.needed[i] || sum.a == sum.b) continue;
    const std::size_t y = index_of(sum.a), row = index_of(sum.b);
    const Node& product = nodes[y];
    const bool a_bias_row = p.read_through[row] && nodes[row].op == Op::broadcast_rows && ready(p, nodes[row].a, y);
    const bool a_layer = product.op == Op::matmul && p.place[y] == Place::batch && !p.reduction[y] &&
                         p.place[index_of(product.a)] == Place::batch && users[y] == 1;
    if (!a_bias_row || !a_layer) continue;
    p.bias_row[y] = sum.b;
    p.formed_by[i] = sum.a;
  }
}

}  // namespace wengert::detail
