// 12. Fusion (ProgramOptions::fuse): maximal runs of consecutive element-wise
//    steps over batch rows, whatever the transformations emitted, each run as
//    one group. Each row of such a step needs only the same row of its
//    arguments (or a bias row, computed before the chunks), so a group can run
//    a few rows at a time, every step in turn, by one kernel call
//    (kernels/fused.hpp): what one step writes the next reads from L1. A value
//    that no step outside its group reads, and that is no output, never goes
//    to the arena: it lives in the group's scratch, a few rows deep.
//    The shared steps before the chunks group the same way, over the rows of
//    their values (equal along a group): a chain computed from the weights
//    (the forward Laplacian's sums of squared rows of W1) is one call, not one
//    per step.
//    A row's sum (sum_cols) joins too: each row of it needs only its own row.
//    A sum over the batch (sum_rows, mean_rows: a bias's gradient) joins the
//    group too, as a step that adds each row of its argument into the chunk's
//    partial sum while the row is in L1: the rows in the order its own step
//    adds them, so the same bits. Two sums into one total stay in different
//    groups, which keeps each one's rows together in that order.
#include <algorithm>
#include <map>
#include <set>

#include "exec/plan.hpp"
#include "tape/index.hpp"

namespace wengert::detail {

namespace {

// Bytes a block of a group may touch (its scratch and the rows it reads and
// writes elsewhere): inside a 32 KiB L1 data cache, with room for what streams
// through it. But at least 512 entries of the widest value per block: a group
// of many wide values (the Laplacian's tangents) run a row at a time would pay
// more for its kernel calls than L2 costs it.
constexpr std::size_t block_bytes = 16 << 10, min_block_entries = 512;

// Per node: whether it is computed by a step of a group, every user of it is
// a step of that same group, and it is no output. `group_of_node` gives each
// node's group, groups.size() for none.
std::vector<bool> used_only_inside(const Plan& p, const std::vector<std::size_t>& group_of_node) {
  const auto& nodes = p.tape.nodes();
  std::vector<bool> inside(nodes.size(), true);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (NodeId arg : {nodes[i].a, nodes[i].b}) {
      if (arg == no_node) continue;
      const std::size_t k = index_of(arg);
      if (group_of_node[i] == p.groups.size() || group_of_node[i] != group_of_node[k]) inside[k] = false;
    }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (p.is_output[i] || group_of_node[i] == p.groups.size()) inside[i] = false;
    if (p.scaled_rows[i] != no_node)
      inside[index_of(p.scaled_rows[i])] = false;  // its products read X at large batches
  }
  return inside;
}

// Whether a chunk step adds the rows of its argument into a partial sum over
// the batch, a sum a group can take (exec/run.cpp: Runner::copy_or_sum): never
// in a run of the whole batch at once, where the sum is written whole.
bool sums_over_batch(const Plan& p, NodeId id) {
  const Op op = p.tape.node(id).op;
  return !p.whole_batch && p.reduction[index_of(id)] && (op == Op::sum_rows || op == Op::mean_rows);
}

// A run of steps [first, end) of one list (the chunk's or the shared steps
// before it) that runs as one group.
struct Span {
  const std::vector<NodeId>* steps;
  std::size_t first, end;
};

// The slots and steps of group g over a span; its scratch columns are taken by
// each value that stays inside and given back after its last use there (for a
// later value of the same width).
void compile_group(Plan& p, Group& g, Span span, std::size_t element_size) {
  const std::vector<NodeId>& steps = *span.steps;
  std::map<NodeId, std::uint32_t> slot_of;
  std::map<std::size_t, std::vector<std::size_t>> free_columns;  // width -> scratch offsets
  std::map<NodeId, std::size_t> last_use;
  for (std::size_t s = span.first; s < span.end; ++s)
    for (NodeId arg : {p.tape.node(steps[s]).a, p.tape.node(steps[s]).b})
      if (arg != no_node) last_use[arg] = s;
  std::size_t outside_width = 0;  // columns of the rows a block reads or writes in the arena
  auto slot = [&](NodeId id) {    // an argument's slot; a new one holds a value from before the group
    if (auto it = slot_of.find(id); it != slot_of.end()) return it->second;
    const bool bias_row = p.read_through[index_of(id)];
    if (!bias_row) outside_width += count_of(p.tape.node(id).shape.cols);
    g.slots.push_back({id, bias_row, false, 0});
    return slot_of[id] = static_cast<std::uint32_t>(g.slots.size() - 1);
  };
  auto free_after = [&](NodeId arg, std::size_t s) {  // gives arg's scratch columns back after its last use
    if (arg == no_node || last_use[arg] != s) return;
    const GroupSlot& used = g.slots[slot_of[arg]];
    if (used.scratch && used.node == arg) free_columns[count_of(p.tape.node(arg).shape.cols)].push_back(used.offset);
  };
  for (std::size_t s = span.first; s < span.end; ++s) {
    const NodeId id = steps[s];
    const Node& node = p.tape.node(id);
    const std::size_t cols = count_of(node.shape.cols);
    if (sums_over_batch(p, id)) {  // slot y += each row of slot a
      const std::uint32_t row = slot(node.a);
      g.slots.push_back({id, false, false, 0, true});
      const auto sum = static_cast<std::uint32_t>(g.slots.size() - 1);
      slot_of[id] = sum;
      g.steps.push_back({row, row, sum});
      free_after(node.a, s);
      continue;
    }
    const std::uint32_t a = slot(node.a);
    GroupStep step{a, node.b == no_node ? a : slot(node.b), 0};  // one argument: b is a, passed unread
    g.slots.push_back({id, false, p.scratch[index_of(id)], 0});
    step.y = static_cast<std::uint32_t>(g.slots.size() - 1);
    slot_of[id] = step.y;
    if (GroupSlot& y = g.slots.back(); y.scratch) {
      if (auto& reusable = free_columns[cols]; !reusable.empty()) {
        y.offset = reusable.back();
        reusable.pop_back();
      } else {
        y.offset = g.scratch_width;
        g.scratch_width += cols;
      }
    } else {
      outside_width += cols;
    }
    free_after(node.a, s);
    if (node.b != node.a) free_after(node.b, s);  // a / a reads a twice: its columns go back once
    g.steps.push_back(step);
  }
  const std::size_t row_bytes = std::max<std::size_t>(1, g.scratch_width + outside_width) * element_size;
  std::size_t widest = 1;
  for (const GroupSlot& k : g.slots) widest = std::max(widest, count_of(p.tape.node(k.node).shape.cols));
  g.block_rows = std::max(block_bytes / row_bytes, (min_block_entries + widest - 1) / widest);
}

// Marks the groups of one list of steps: maximal runs of two or more steps
// that `fusable` accepts, over the same rows (a sum's: its argument's), with
// at most one sum into each total.
template <class Fusable>
void find_spans(const Plan& p, const std::vector<NodeId>& steps, Fusable fusable, std::vector<std::size_t>& group_end,
                std::vector<std::size_t>& group_of, std::vector<Span>& spans) {
  group_end.assign(steps.size(), 0);
  group_of.assign(steps.size(), 0);
  auto rows = [&](std::size_t s) {
    const Node& node = p.tape.node(steps[s]);
    return sums_over_batch(p, steps[s]) ? p.tape.node(node.a).shape.rows : node.shape.rows;
  };
  for (std::size_t s = 0; s < steps.size();) {
    std::size_t end = s + 1;
    std::set<NodeId> totals;
    auto another_total = [&](std::size_t k) {  // true for a step that is no sum
      return !sums_over_batch(p, steps[k]) || totals.insert(p.sums_into[index_of(steps[k])]).second;
    };
    if (fusable(steps[s]) && another_total(s))
      while (end < steps.size() && fusable(steps[end]) && rows(end) == rows(s) && another_total(end)) ++end;
    for (std::size_t k = s; k < end; ++k) group_end[k] = end;
    if (end - s > 1) {
      group_of[s] = spans.size();
      spans.push_back({&steps, s, end});
    }
    s = end;
  }
}

}  // namespace

void group_element_wise(Plan& p, const ProgramOptions& options, std::size_t element_size) {
  auto fusable = [&](NodeId id, Place place) {
    const std::size_t i = index_of(id);
    return options.fuse && is_elementwise(p.tape.node(id).op) && p.place[i] == place && !p.reduction[i];
  };
  // With check_finite a sum is checked as its own step, after all its rows.
  auto fusable_sum = [&](NodeId id) { return options.fuse && !options.check_finite && sums_over_batch(p, id); };
  auto row_sum = [&](NodeId id) {
    return options.fuse && p.tape.node(id).op == Op::sum_cols && p.place[index_of(id)] == Place::batch;
  };
  std::vector<Span> spans;
  find_spans(
      p, p.chunk, [&](NodeId id) { return fusable(id, Place::batch) || fusable_sum(id) || row_sum(id); }, p.group_end,
      p.group_of, spans);
  find_spans(
      p, p.before, [&](NodeId id) { return fusable(id, Place::shared); }, p.before_group_end, p.before_group_of, spans);
  std::vector<std::size_t> group_of_node(p.tape.nodes().size(), spans.size());
  for (std::size_t g = 0; g < spans.size(); ++g)
    for (std::size_t k = spans[g].first; k < spans[g].end; ++k) group_of_node[index_of((*spans[g].steps)[k])] = g;
  p.groups.assign(spans.size(), Group{});
  // With check_finite every step's rows are checked after its block: nothing stays in scratch.
  p.scratch =
      options.check_finite ? std::vector<bool>(p.tape.nodes().size(), false) : used_only_inside(p, group_of_node);
  for (std::size_t g = 0; g < spans.size(); ++g) {
    compile_group(p, p.groups[g], spans[g], element_size);
    const NodeId first = (*spans[g].steps)[spans[g].first];
    const Dim rows = p.tape.node(first).shape.rows;
    p.groups[g].rows = rows == batch || sums_over_batch(p, first) ? 0 : count_of(rows);
  }
}

}  // namespace wengert::detail
