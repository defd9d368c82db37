// Planning: the passes that turn a tape into a plan (plan.hpp), in order. Each
// decides one thing and says so in its first comment line; each is linear in
// the length of the tape. Four have files of their own: views (views.cpp),
// scaled rows (scaled_rows.cpp), bias rows (bias_rows.cpp) and fusion
// (grouping.cpp).
#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <fmt/format.h>

#include "exec/plan.hpp"
#include "tape/index.hpp"
#include "wengert/error.hpp"

namespace wengert::detail {

namespace {

// Weight transposes are read through (and formed only at large batches, see
// run.cpp): a product Y·Wᵀ may read W by rows.
bool reads_through(const Node& user, NodeId arg, const Node& x) {
  if (x.op == Op::transpose) return user.op == Op::matmul && arg == user.b && arg != user.a;
  if (x.op == Op::broadcast_rows) return op_kind(user.op) == OpKind::binary && user.a != user.b;
  return false;
}

// 1. Where each value lives, from its shape: rows that are the batch, columns
//    that are (the transpose of batch rows), or neither (shared). A transposed
//    batch may only be the left factor of a product with batch rows, Xᵀ·Y.
void place_values(Plan& p) {
  const auto& nodes = p.tape.nodes();
  p.place.resize(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Shape s = nodes[i].shape;
    p.place[i] = s.rows == batch ? Place::batch : s.cols == batch ? Place::transposed : Place::shared;
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    for (NodeId arg : {node.a, node.b}) {
      if (arg == no_node || p.place[index_of(arg)] != Place::transposed) continue;
      const Node& t = p.tape.node(arg);
      const bool ok = t.op == Op::transpose && node.op == Op::matmul && arg == node.a && node.b != no_node &&
                      p.place[index_of(node.b)] == Place::batch;
      if (!ok)
        throw UsageError(
            fmt::format("Program: node %{} ({}) uses %{} ({} of shape {}), a value with one column per sample; only "
                        "products Xᵀ·Y summed over the batch can use such a value",
                        i, op_name(node.op), arg, op_name(t.op), to_string(t.shape)));
    }
  }
}

// 2. Which values are outputs: formed, kept to the end of a chunk, copied out.
void mark_outputs(Plan& p) {
  p.is_output.assign(p.tape.nodes().size(), false);
  for (const Output& out : p.tape.outputs()) {
    if (p.place[index_of(out.node)] == Place::transposed)
      throw UsageError(
          fmt::format("Program: output '{}' has shape {}; outputs with a column per sample are not "
                      "supported, transpose it back",
                      out.name, to_string(p.tape.node(out.node).shape)));
    p.is_output[index_of(out.node)] = true;
  }
}

// 3. Which values are read through by their users instead of formed: a bias
//    row broadcast over the batch (added row by row by the element-wise op that
//    uses it) and the transpose of a weight — when every user can read through.
void find_read_through(Plan& p) {
  const auto& nodes = p.tape.nodes();
  std::vector<int> users(nodes.size(), 0), readers(nodes.size(), 0);
  for (const Node& node : nodes)
    for (NodeId arg : {node.a, node.b}) {
      if (arg == no_node) continue;
      ++users[index_of(arg)];
      if (reads_through(node, arg, p.tape.node(arg))) ++readers[index_of(arg)];
    }
  p.read_through.assign(nodes.size(), false);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Node& x = nodes[i];
    const bool of_shared = x.a != no_node && p.place[index_of(x.a)] == Place::shared;
    const bool kind_fits = (x.op == Op::transpose && p.place[i] == Place::shared) ||
                           (x.op == Op::broadcast_rows && p.place[i] == Place::batch);
    p.read_through[i] = of_shared && kind_fits && !p.is_output[i] && users[i] > 0 && users[i] == readers[i];
  }
}

// 4. Which shared values sum over the batch (reductions), which shared values
//    need one (they run after the chunks), and whether a batch value needs one:
//    then rows are not independent and the whole batch is one chunk.
void find_reductions(Plan& p) {
  const auto& nodes = p.tape.nodes();
  p.reduction.assign(nodes.size(), false);
  p.after_reduction.assign(nodes.size(), false);
  p.whole_batch = false;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    for (NodeId arg : {node.a, node.b}) {
      if (arg == no_node) continue;
      const std::size_t k = index_of(arg);
      if (p.place[i] == Place::batch && p.after_reduction[k]) p.whole_batch = true;
      if (p.place[i] != Place::shared || node.op == Op::input) continue;
      if (p.place[k] != Place::shared) p.reduction[i] = true;
      if (p.after_reduction[k]) p.after_reduction[i] = true;
    }
    if (p.reduction[i]) p.after_reduction[i] = true;
  }
}

// 5. Which reductions add into another's total: a sum of two sums over the batch
//    (Σ XᵀY + Σ ZᵀW, as reverse mode writes a weight's gradient) is itself one
//    sum, so both parts add into the same total and neither is formed. Only
//    plain sums merge (not means, whose division waits), only parts used once,
//    and not in a whole-batch run, where a reduction writes its value directly.
void merge_summed_reductions(Plan& p) {
  const auto& nodes = p.tape.nodes();
  p.sums_into.assign(nodes.size(), no_node);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (p.reduction[i]) p.sums_into[i] = static_cast<NodeId>(i);
  if (p.whole_batch) return;
  std::vector<int> users(nodes.size(), 0);
  for (const Node& node : nodes)
    for (NodeId arg : {node.a, node.b})
      if (arg != no_node) ++users[index_of(arg)];
  auto summable = [&](NodeId id) {
    const std::size_t k = index_of(id);
    const Op op = nodes[k].op;
    return p.reduction[k] && users[k] == 1 && !p.is_output[k] &&
           (op == Op::sum_rows || op == Op::matmul || op == Op::add);
  };
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    if (node.op != Op::add || p.place[i] != Place::shared || node.a == node.b || !summable(node.a) || !summable(node.b))
      continue;
    p.reduction[i] = true;
    p.after_reduction[i] = true;
    p.sums_into[i] = static_cast<NodeId>(i);
    p.sums_into[index_of(node.a)] = p.sums_into[index_of(node.b)] = static_cast<NodeId>(i);
  }
  // A part of a part adds into the outermost sum; targets come later in the tape, so one backward pass finds them.
  for (std::size_t i = nodes.size(); i-- > 0;)
    if (p.sums_into[i] != no_node && index_of(p.sums_into[i]) != i)
      p.sums_into[i] = p.sums_into[index_of(p.sums_into[i])];
}

// 9. The steps of a run, in tape order: shared values before the chunks, batch
//    values and reductions per chunk, values that need a reduction after them.
//    Inputs, transposed batches, read-through bias rows, views, adds of a bias
//    row their product computes and values no output needs are never steps (a
//    read-through Wᵀ is: it is formed at large batches).
void order_steps(Plan& p) {
  const auto& nodes = p.tape.nodes();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto id = static_cast<NodeId>(i);
    const bool formed_by_its_users = p.read_through[i] && nodes[i].op != Op::transpose;
    const bool a_merged_sum = p.reduction[i] && nodes[i].op == Op::add;  // its total is its value
    const bool not_formed = p.view_of[i] != no_node || p.formed_by[i] != no_node || !p.needed[i];
    if (nodes[i].op == Op::input || p.place[i] == Place::transposed || formed_by_its_users || a_merged_sum ||
        not_formed)
      continue;
    if (p.whole_batch || p.place[i] == Place::batch || p.reduction[i])
      p.chunk.push_back(id);
    else if (p.after_reduction[i])
      p.after.push_back(id);
    else
      p.before.push_back(id);
  }
}

// 10. Storage of shared values: each formed one has its own place (they are
//    parameter-sized), and so has each weight a row scale folds into; a
//    reduction's total also has one in the buffer of sums.
void place_shared(Plan& p) {
  const auto& nodes = p.tape.nodes();
  p.offset.assign(nodes.size(), 0);
  p.partial_offset.assign(nodes.size(), 0);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (p.place[i] != Place::shared || nodes[i].op == Op::input || p.view_of[i] != no_node || !p.needed[i]) continue;
    const std::size_t size = count_of(nodes[i].shape.rows) * count_of(nodes[i].shape.cols);
    p.offset[i] = p.shared_size;
    p.shared_size += size;
    if (!p.reduction[i] || index_of(p.sums_into[i]) != i) continue;  // a part adds into another's total
    p.partial_offset[i] = p.partial_size;
    p.partial_size += size;
    p.totals.push_back(static_cast<NodeId>(i));
  }
  for (ScaledWeight& scaled : p.scaled_weights) {  // diag(r)·B, B's shape
    const Shape& weight = p.tape.node(scaled.weight).shape;
    scaled.offset = p.shared_size;
    p.shared_size += count_of(weight.rows) * count_of(weight.cols);
  }
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (p.reduction[i]) p.partial_offset[i] = p.partial_offset[index_of(p.sums_into[i])];
  // The first step adding into each total writes it (in a block's first chunk), so that no total needs zeroing.
  p.first_into_total.assign(nodes.size(), false);
  std::vector<bool> written(nodes.size(), false);
  for (NodeId id : p.chunk) {
    const std::size_t i = index_of(id);
    if (!p.reduction[i] || written[index_of(p.sums_into[i])]) continue;
    p.first_into_total[i] = written[index_of(p.sums_into[i])] = true;
  }
}

// 11. Which products run with the next step at one row: a product and the next
//    step's product with the same weight (a value and its tangent, which jvp
//    emits side by side). At one row reading the weight is what a product costs,
//    and the pair reads it once.
void pair_products(Plan& p) {
  const std::vector<NodeId>& steps = p.chunk;
  p.paired.assign(steps.size(), false);
  auto batch_rows = [&](NodeId id) { return p.place[index_of(id)] == Place::batch; };
  auto weight = [&](NodeId b) {
    return p.read_through[index_of(b)] ? p.tape.node(b).a : b;
  };  // W for a read-through Wᵀ
  for (std::size_t s = 0; s + 1 < steps.size(); ++s) {
    const Node& x = p.tape.node(steps[s]);
    const Node& y = p.tape.node(steps[s + 1]);
    p.paired[s] = x.op == Op::matmul && y.op == Op::matmul && x.shape == y.shape && batch_rows(steps[s]) &&
                  batch_rows(x.a) && batch_rows(y.a) && y.a != steps[s] &&
                  p.read_through[index_of(x.b)] == p.read_through[index_of(y.b)] && weight(x.b) == weight(y.b) &&
                  p.tape.node(x.a).shape == p.tape.node(y.a).shape && (s == 0 || !p.paired[s - 1]);
  }
}

// The buffer a value is read from: a transposed batch reads its argument's, an
// add of a bias row its product's.
NodeId storage_of(const Plan& p, NodeId id) {
  const NodeId own = p.place[index_of(id)] == Place::transposed ? p.tape.node(id).a : id;
  const NodeId product = p.formed_by[index_of(own)];
  return product == no_node ? own : product;
}

// What a step may read: its arguments, and the X behind an argument X ⊙ r
// whose row scale folds into the step's weight (at large batches).
std::array<NodeId, 3> reads(const Plan& p, const Node& node) {
  return {node.a, node.b, node.a == no_node ? no_node : p.scaled_rows[index_of(node.a)]};
}

// The step after which each batch buffer is dead; outputs live to the end.
std::vector<std::size_t> last_uses(const Plan& p) {
  std::vector<std::size_t> last(p.tape.nodes().size(), 0);
  for (std::size_t s = 0; s < p.chunk.size(); ++s) {
    const Node& node = p.tape.node(p.chunk[s]);
    const std::size_t until = p.paired[s] ? s + 1 : s;  // a paired step's arguments live through its partner
    for (NodeId arg : reads(p, node))
      if (arg != no_node) last[index_of(storage_of(p, arg))] = until;
  }
  for (const Output& out : p.tape.outputs()) last[index_of(storage_of(p, out.node))] = p.chunk.size();
  return last;
}

// 13. The arena slot of every batch value: `cols` columns, taken when the value
//    is computed, given back after its last use for a later value of the same
//    width (the slot freed earliest first).
void assign_batch_slots(Plan& p) {
  const std::vector<std::size_t> last = last_uses(p);
  std::map<std::size_t, std::deque<std::size_t>> free_slots;  // width -> offsets, in the order they were freed
  std::vector<bool> is_free;                                  // per arena column where a slot starts
  auto give_back = [&](NodeId arg, std::size_t s) {
    if (arg == no_node) return;
    const std::size_t src = index_of(storage_of(p, arg));
    if (p.place[src] != Place::batch || p.tape.nodes()[src].op == Op::input || p.read_through[src] || p.scratch[src] ||
        last[src] != s || is_free[p.offset[src]])
      return;
    is_free[p.offset[src]] = true;
    free_slots[count_of(p.tape.nodes()[src].shape.cols)].push_back(p.offset[src]);
  };
  p.arena_width = 0;
  for (std::size_t s = 0; s < p.chunk.size(); ++s) {
    const std::size_t i = index_of(p.chunk[s]);
    if (p.place[i] == Place::batch && !p.scratch[i]) {  // a reduction's sum and a group's scratch are elsewhere
      const std::size_t cols = count_of(p.tape.nodes()[i].shape.cols);
      if (auto& reusable = free_slots[cols]; !reusable.empty()) {
        p.offset[i] = reusable.front();
        reusable.pop_front();
      } else {
        p.offset[i] = p.arena_width;
        p.arena_width += cols;
        is_free.resize(p.arena_width, false);
      }
      is_free[p.offset[i]] = false;
    }
    const Node& node = p.tape.nodes()[i];
    const Node& partner = s > 0 && p.paired[s - 1] ? p.tape.node(p.chunk[s - 1]) : node;
    for (const Node* step : {&node, &partner})
      for (NodeId arg : reads(p, *step)) give_back(arg, s);  // a paired step's die with its partner
  }
  for (std::size_t i = 0; i < p.formed_by.size(); ++i)
    if (p.formed_by[i] != no_node) p.offset[i] = p.offset[index_of(p.formed_by[i])];
}

// 14. Rows per chunk: the chunk's arena should fit in about 256 KiB, the private
//    L2 of most cores or a good part of it; a multiple of 8 between 8 and 512.
//    But a product summed over the batch, Xᵀ·Y, adds each chunk's part into
//    its total, loading and storing the whole total once per chunk: at 8 rows
//    that costs about as much as the part's multiply-adds (a training step's
//    weight gradients, 64 × 64, ran at half the machine's peak). With such
//    products a chunk has at least 24 rows while its arena fits 1 MiB, the
//    private L2 of a current server core.
void choose_chunk_rows(Plan& p, const ProgramOptions& options, std::size_t element_size) {
  if (options.chunk_rows > 0) {
    p.chunk_rows = static_cast<std::size_t>(options.chunk_rows);
    return;
  }
  constexpr std::size_t cache_bytes = 256u << 10, larger_cache_bytes = 1u << 20, summing_rows = 24;
  const std::size_t bytes_per_row = std::max<std::size_t>(1, p.arena_width) * element_size;
  p.chunk_rows = std::clamp<std::size_t>(cache_bytes / bytes_per_row, 8, 512) / 8 * 8;
  const auto& nodes = p.tape.nodes();
  bool sums_products = false;
  for (std::size_t i = 0; i < nodes.size(); ++i) sums_products |= p.reduction[i] && nodes[i].op == Op::matmul;
  if (sums_products)
    p.chunk_rows = std::max(p.chunk_rows, std::min(summing_rows, larger_cache_bytes / bytes_per_row / 8 * 8));
}

}  // namespace

Plan make_plan(Tape tape, const ProgramOptions& options, std::size_t element_size) {
  Plan p;
  p.tape = std::move(tape);
  place_values(p);
  mark_outputs(p);
  find_read_through(p);
  find_reductions(p);
  merge_summed_reductions(p);
  find_views(p);
  find_scaled_products(p, element_size);
  find_bias_rows(p, options);
  order_steps(p);
  place_shared(p);
  pair_products(p);
  group_element_wise(p, options, element_size);
  assign_batch_slots(p);
  choose_chunk_rows(p, options, element_size);
  return p;
}

std::size_t fused_step_count(const std::vector<std::size_t>& group_end) {
  std::size_t steps = 0;
  for (std::size_t s = 0; s < group_end.size(); s = group_end[s]) ++steps;
  return steps;
}

std::string describe(const Plan& p, std::size_t element_size, int threads, bool simd) {
  std::size_t sums = 0;  // over the batch, in a group
  for (const Group& g : p.groups)
    for (const GroupSlot& slot : g.slots) sums += slot.sum ? 1 : 0;
  auto as_run = [&](const std::vector<NodeId>& steps, const std::vector<std::size_t>& group_end) {
    const std::size_t fused = fused_step_count(group_end);
    const std::string with_sums =
        &steps == &p.chunk && sums > 0 ? fmt::format(", {} sums over the batch with them", sums) : std::string();
    return fused < steps.size() ? fmt::format(" (run as {} steps: element-wise chains fused{})", fused, with_sums)
                                : std::string();
  };
  auto count_set = [](const std::vector<NodeId>& per_node) {
    return std::count_if(per_node.begin(), per_node.end(), [](NodeId v) { return v != no_node; });
  };
  const auto bias_rows = count_set(p.bias_row);
  return fmt::format(
      "{} nodes ({} read through, {} views of others' storage): {} once before the batch{}, {} per chunk of {} "
      "rows{}{}{}{}, {} after; arena {} columns ({} KiB per thread), {} thread(s), {}",
      p.tape.nodes().size(), std::count(p.read_through.begin(), p.read_through.end(), true), count_set(p.view_of),
      p.before.size(), as_run(p.before, p.before_group_end), p.chunk.size(), p.chunk_rows, as_run(p.chunk, p.group_end),
      bias_rows == 0 ? std::string() : fmt::format(" ({} products add their bias rows as they store)", bias_rows),
      p.scaled_products.empty()
          ? std::string()
          : fmt::format(" (at large batches {} products (X ⊙ r)·B as X·(diag(r)·B), {} weights diag(r)·B)",
                        p.scaled_products.size(), p.scaled_weights.size()),
      p.whole_batch ? " (whole batch: a batch value needs a reduction)" : "", p.after.size(), p.arena_width,
      p.arena_width * p.chunk_rows * element_size / 1024, threads, simd ? "SIMD kernels" : "scalar kernels");
}

}  // namespace wengert::detail
