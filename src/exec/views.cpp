// Views: a shared value that is a contiguous block of another shared value's
// storage is read there and never formed (plan.hpp): pass 6 of planning
// (planning.cpp runs the passes in order).
#include <utility>

#include "exec/plan.hpp"
#include "tape/index.hpp"

namespace wengert::detail {

namespace {

// The block of another shared value's storage a shared value is, if it is one:
// rows of W written as (slice_cols(Wᵀ))ᵀ, as the Builder's fold cuts rows out of a
// weight; a transpose of a row or a column; a slice of one row. Views found so
// far (earlier in the tape) count as formed. (base, offset into it in entries)
std::pair<NodeId, std::size_t> block_of_storage(const Plan& p, const Node& x) {
  auto plain_shared = [&](NodeId id) {
    const std::size_t k = index_of(id);
    return p.place[k] == Place::shared && !p.reduction[k] && !p.read_through[k];
  };
  if (x.a == no_node || !plain_shared(x.a)) return {no_node, 0};
  const Node& a = p.tape.node(x.a);
  const bool a_is_view = p.view_of[index_of(x.a)] != no_node;  // then the next rules need nothing formed
  if (x.op == Op::transpose && a.op == Op::slice_cols && p.tape.node(a.a).op == Op::transpose && plain_shared(a.a) &&
      !a_is_view) {
    const NodeId w = p.tape.node(a.a).a;  // before the next rules: Wᵀ and its slice need not be formed
    if (plain_shared(w)) return {w, count_of(a.begin) * count_of(p.tape.node(w).shape.cols)};
  }
  if (x.op == Op::transpose && (a.shape.rows == 1 || a.shape.cols == 1)) return {x.a, 0};
  if (x.op == Op::slice_cols && a.shape.rows == 1) return {x.a, count_of(x.begin)};
  return {no_node, 0};
}

}  // namespace

// 6. Which shared values are views: a contiguous block of another shared
//    value's storage (block_of_storage), read there and never formed; and which
//    values are needed at all — not those only views skip over (the Wᵀ and its
//    column slices behind rows of W).
void find_views(Plan& p) {
  const auto& nodes = p.tape.nodes();
  p.view_of.assign(nodes.size(), no_node);
  p.view_offset.assign(nodes.size(), 0);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (p.place[i] != Place::shared || p.reduction[i] || p.read_through[i]) continue;
    auto [base, offset] = block_of_storage(p, nodes[i]);
    if (base == no_node) continue;
    if (const std::size_t b = index_of(base); p.view_of[b] != no_node) {  // a view of a view: of its base
      offset += p.view_offset[b];
      base = p.view_of[b];
    }
    p.view_of[i] = base;
    p.view_offset[i] = offset;
  }
  p.needed.assign(nodes.size(), false);
  for (const Output& out : p.tape.outputs()) p.needed[index_of(out.node)] = true;
  for (std::size_t i = nodes.size(); i-- > 0;) {
    if (!p.needed[i]) continue;
    if (p.view_of[i] != no_node) p.needed[index_of(p.view_of[i])] = true;
    for (NodeId arg : {nodes[i].a, nodes[i].b})
      if (arg != no_node && p.view_of[i] == no_node) p.needed[index_of(arg)] = true;
  }
}

}  // namespace wengert::detail
