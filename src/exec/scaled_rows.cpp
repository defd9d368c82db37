// Row scales folded into weights: pass 7 of planning (planning.cpp runs the
// passes in order). A product (X ⊙ r)·B, the rows of a batch value X scaled
// column by column by a weight row r (a bias row, read through), with a weight
// B, is X·(diag(r)·B). At a large batch the second form costs one scaling of B
// per run, where the first scales every row of X and sends the scaled rows
// through memory to the product; X ⊙ r is then never formed. The forward
// Laplacian seeds its d directions so: its first-layer tangents are tanh' times
// a row of W1, each one then a product with W2. At a few rows scaling B would
// cost as much as the product itself: there X ⊙ r is formed as written. Which
// of the two a run takes is decided per run, with the weight transposes
// (run.cpp): the two give the same numbers but for rounding. Each product
// reads a weight of its own then, where all read the one B before: the scaled
// weights must stay in cache beside the chunk's arena, so they fold while
// their total fits a budget (in tape order), and the rest are formed as written.
#include <cstddef>

#include "exec/plan.hpp"
#include "tape/index.hpp"

namespace wengert::detail {

namespace {

// X for a node X ⊙ r (in either order) whose r is a bias row read through; else no_node.
NodeId scaled_batch_rows(const Plan& p, std::size_t i) {
  const Node& m = p.tape.nodes()[i];
  if (m.op != Op::mul || p.place[i] != Place::batch || p.is_output[i] || m.a == m.b) return no_node;
  auto scale_row = [&](NodeId id) {
    const std::size_t k = index_of(id);
    return p.read_through[k] && p.tape.node(id).op == Op::broadcast_rows &&
           !p.after_reduction[index_of(p.tape.node(id).a)];
  };
  auto batch_rows = [&](NodeId id) { return p.place[index_of(id)] == Place::batch && !p.read_through[index_of(id)]; };
  if (scale_row(m.b) && batch_rows(m.a)) return m.a;
  if (scale_row(m.a) && batch_rows(m.b)) return m.b;
  return no_node;
}

// Whether a user of a scaled node M is a product M·B with a weight B formed before the chunks.
bool folds_into_weight(const Plan& p, const Node& user, NodeId m) {
  if (user.op != Op::matmul || user.a != m || user.b == m) return false;
  const std::size_t b = index_of(user.b);
  return p.place[b] == Place::shared && !p.read_through[b] && !p.reduction[b] && !p.after_reduction[b];
}

// The scaled weights' budget: with the chunk's arena of about 256 KiB
// (planning.cpp), the 1 MiB private L2 of a current server core. (The forward
// Laplacian at d = 64, h = 128 in double would need 8 MiB: its products, each
// reading its weight from L3, were slower than the scaling they saved.)
constexpr std::size_t scaled_weights_bytes = 768u << 10;

}  // namespace

// 7. Which batch values X ⊙ r every (needed) user of which is a product with a
//    weight: at large batches their products fold r into the weight.
void find_scaled_products(Plan& p, std::size_t element_size) {
  const auto& nodes = p.tape.nodes();
  p.scaled_rows.assign(nodes.size(), no_node);
  p.scaled_products.clear();
  std::vector<NodeId> candidate(nodes.size(), no_node);
  std::vector<bool> all_fold(nodes.size(), true);
  for (std::size_t i = 0; i < nodes.size(); ++i) candidate[i] = p.needed[i] ? scaled_batch_rows(p, i) : no_node;
  for (std::size_t u = 0; u < nodes.size(); ++u)
    for (NodeId arg : {nodes[u].a, nodes[u].b})
      if (p.needed[u] && arg != no_node && candidate[index_of(arg)] != no_node && !folds_into_weight(p, nodes[u], arg))
        all_fold[index_of(arg)] = false;
  std::vector<std::size_t> weight_bytes(nodes.size(), 0);  // per candidate: its products' scaled weights
  for (std::size_t u = 0; u < nodes.size(); ++u)
    if (nodes[u].op == Op::matmul && p.needed[u] && candidate[index_of(nodes[u].a)] != no_node) {
      const Shape& b = p.tape.node(nodes[u].b).shape;
      weight_bytes[index_of(nodes[u].a)] += count_of(b.rows) * count_of(b.cols) * element_size;
    }
  std::size_t budget = scaled_weights_bytes;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (candidate[i] != no_node && all_fold[i] && weight_bytes[i] <= budget) {
      p.scaled_rows[i] = candidate[i];
      budget -= weight_bytes[i];
    }
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].op == Op::matmul && p.needed[i] && p.scaled_rows[index_of(nodes[i].a)] != no_node)
      p.scaled_products.push_back(static_cast<NodeId>(i));
}

}  // namespace wengert::detail
