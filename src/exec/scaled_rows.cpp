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
#include <map>
#include <utility>

#include "exec/plan.hpp"
#include "tape/index.hpp"

namespace wengert::detail {

namespace {

// The bias row r of a node X ⊙ r whose r is a bias row read through, and X; else no_node twice.
std::pair<NodeId, NodeId> row_and_rows(const Plan& p, std::size_t i) {
  const Node& m = p.tape.nodes()[i];
  if (m.op != Op::mul || p.place[i] != Place::batch || p.is_output[i] || m.a == m.b) return {no_node, no_node};
  auto scale_row = [&](NodeId id) {
    const Node& row = p.tape.node(id);
    return p.read_through[index_of(id)] && row.op == Op::broadcast_rows && !p.after_reduction[index_of(row.a)];
  };
  auto batch_rows = [&](NodeId id) { return p.place[index_of(id)] == Place::batch && !p.read_through[index_of(id)]; };
  if (scale_row(m.b) && batch_rows(m.a)) return {p.tape.node(m.b).a, m.a};
  if (scale_row(m.a) && batch_rows(m.b)) return {p.tape.node(m.a).a, m.b};
  return {no_node, no_node};
}

// Whether a user of a scaled node M is a product M·B with a weight B formed
// before the chunks (a weight's transpose read through is formed at large batches).
bool folds_into_weight(const Plan& p, const Node& user, NodeId m) {
  if (user.op != Op::matmul || user.a != m || user.b == m) return false;
  const std::size_t b = index_of(user.b);
  return p.place[b] == Place::shared && !p.reduction[b] && !p.after_reduction[b];
}

// The scaled weights' budget: with the chunk's arena of about 256 KiB
// (planning.cpp), the 1 MiB private L2 of a current server core. (The forward
// Laplacian at d = 64, h = 128 in double would need 8 MiB: its products, each
// reading its weight from L3, were slower than the scaling they saved.)
constexpr std::size_t scaled_weights_bytes = 768u << 10;

}  // namespace

// 7. Which batch values X ⊙ r every (needed) user of which is a product with a
//    weight: at large batches their products fold r into the weight. Products
//    with the same r and B (a value and its tangent) share one diag(r)·B.
void find_scaled_products(Plan& p, std::size_t element_size) {
  const auto& nodes = p.tape.nodes();
  std::vector<std::pair<NodeId, NodeId>> candidate(nodes.size(), {no_node, no_node});  // (r, X)
  std::vector<bool> all_fold(nodes.size(), true);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (p.needed[i]) candidate[i] = row_and_rows(p, i);
  std::vector<std::vector<NodeId>> products(nodes.size());
  for (std::size_t u = 0; u < nodes.size(); ++u)
    for (NodeId arg : {nodes[u].a, nodes[u].b}) {
      if (!p.needed[u] || arg == no_node || candidate[index_of(arg)].first == no_node) continue;
      if (!folds_into_weight(p, nodes[u], arg)) all_fold[index_of(arg)] = false;
      if (arg == nodes[u].a) products[index_of(arg)].push_back(static_cast<NodeId>(u));
    }
  p.scaled_rows.assign(nodes.size(), no_node);
  p.scaled_weight_of.assign(nodes.size(), 0);
  p.scaled_products.clear();
  p.scaled_weights.clear();
  std::map<std::pair<NodeId, NodeId>, std::size_t> formed;  // (r, B) -> index in scaled_weights
  std::size_t budget = scaled_weights_bytes;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeId r = candidate[i].first;
    if (r == no_node || !all_fold[i]) continue;
    std::map<std::pair<NodeId, NodeId>, std::size_t> fresh;  // the weights this one would add, and their bytes
    for (NodeId product : products[i]) {
      const Node& b = p.tape.node(p.tape.node(product).b);
      if (!formed.count({r, p.tape.node(product).b}))
        fresh[{r, p.tape.node(product).b}] = count_of(b.shape.rows) * count_of(b.shape.cols) * element_size;
    }
    std::size_t bytes = 0;
    for (const auto& weight : fresh) bytes += weight.second;
    if (bytes > budget) continue;
    budget -= bytes;
    for (const auto& weight : fresh) {
      formed[weight.first] = p.scaled_weights.size();
      p.scaled_weights.push_back({weight.first.first, weight.first.second, 0});
    }
    p.scaled_rows[i] = candidate[i].second;
    for (NodeId product : products[i]) {
      p.scaled_weight_of[index_of(product)] = formed[{r, p.tape.node(product).b}];
      p.scaled_products.push_back(product);
    }
  }
}

}  // namespace wengert::detail
