// A fused group's run (the planner's groups: exec/grouping.cpp). When the
// program is made, each group's steps become the list the fused kernel takes
// (kernels/fused.hpp), with the column of the arena or the scratch each slot
// starts at; a run walks the chunk's rows a block at a time, each block's
// slots a few rows deep, so that what one step writes the next reads from L1.
#include <algorithm>

#include "exec/runner.hpp"
#include "kernels/fused.hpp"
#include "tape/index.hpp"

namespace wengert::detail {

// The steps of a fused group (exec/grouping.cpp) as the kernel takes them.
template <class T>
void Runner<T>::compile_groups() {
  std::size_t scratch = 0;
  for (const Group& g : plan_.groups) {
    FusedGroup f;
    for (std::size_t k = 0; k < g.steps.size(); ++k) {
      const GroupSlot& y = g.slots[g.steps[k].y];
      const NodeId id = y.node;
      const Node& node = node_of(id);
      const Op op = y.sum ? Op::sum_rows : node.op;  // a mean's partial sum too: the division waits for the total
      f.steps.push_back(
          {op, g.steps[k].a, g.steps[k].b, g.steps[k].y, count_of(node.shape.cols), static_cast<T>(node.value)});
      if (op == Op::sum_cols) f.steps.back().a_cols = count_of(node_of(node.a).shape.cols);
      if (plan_.scaled_rows[index_of(id)] == no_node) f.large_batch_steps.push_back(f.steps.back());
    }
    std::vector<bool> in_scratch;
    for (const GroupSlot& slot : g.slots) {
      f.row_step.push_back(slot.bias_row || slot.sum ? 0 : count_of(node_of(slot.node).shape.cols));
      in_scratch.push_back(slot.scratch);
      const std::size_t i = index_of(slot.node);
      const bool in_arena = !slot.scratch && !slot.bias_row && plan_.place[i] == Place::batch &&
                            node_of(slot.node).op != Op::input && !plan_.reduction[i];
      f.arena_column.push_back(in_arena ? plan_.offset[i] : in_scratch_or_elsewhere);
      if (!in_arena && !slot.scratch) f.elsewhere.push_back(f.arena_column.size() - 1);
    }
    f.steps = kernels::with_affine_tails(std::move(f.steps), in_scratch);
    f.large_batch_steps = kernels::with_affine_tails(std::move(f.large_batch_steps), in_scratch);
    kernels::choose_step_kernels<T>(f.steps, options_.simd);
    kernels::choose_step_kernels<T>(f.large_batch_steps, options_.simd);
    fused_.push_back(std::move(f));
    scratch = std::max(scratch, g.scratch_width * g.block_rows);
  }
  scratch_.assign(arenas_.size(), AlignedVector<T>(scratch));
  group_slots_.assign(arenas_.size(), std::vector<GroupSlots>(plan_.groups.size()));
  for (std::vector<GroupSlots>& thread : group_slots_)
    for (std::size_t k = 0; k < thread.size(); ++k) {
      thread[k].start.resize(plan_.groups[k].slots.size());
      thread[k].block.resize(plan_.groups[k].slots.size());
    }
}

// Where slot k of a group starts in a chunk of `rows` rows with this arena, on
// this thread: its column of the arena or its place in the scratch; nullptr for
// a slot outside both (found every run from outside_source).
template <class T>
T* Runner<T>::group_slot_start(std::size_t group, std::size_t k, T* arena, std::size_t rows, std::size_t thread) {
  const Group& g = plan_.groups[group];
  const std::size_t column = fused_[group].arena_column[k];
  if (column != in_scratch_or_elsewhere) return arena + column * rows;
  if (g.slots[k].scratch) return scratch_[thread].data() + g.slots[k].offset * g.block_rows;
  return nullptr;
}

// The value a slot outside the arena and the scratch reads: a bias row's
// repeated row, or the value itself (an input).
template <class T>
NodeId Runner<T>::outside_source(const GroupSlot& slot) const {
  return slot.bias_row ? node_of(slot.node).a : slot.node;
}

// A fused group over the chunk's rows, a block at a time: each row needs only
// the same row of its arguments, and the kernels give every entry the same bits
// wherever it sits, so this is the step-by-step result with the data in L1.
template <class T>
void Runner<T>::run_group(std::size_t group, const Chunk& cx) {
  const Group& g = plan_.groups[group];
  const FusedGroup& f = fused_[group];
  const std::vector<kernels::FusedStep<T>>& steps = large_batch_ ? f.large_batch_steps : f.steps;
  const std::size_t count = g.slots.size();
  GroupSlots& slots = group_slots_[cx.thread][group];
  T** start = slots.start.data();
  // Where the slots start. Those in the arena and the scratch move only with
  // the chunk's arena and rows (at one row, never after the first run); the
  // others (bias rows, values outside the arena) are found every time.
  if (slots.arena != cx.arena || slots.rows != cx.rows) {
    for (std::size_t k = 0; k < count; ++k) start[k] = group_slot_start(group, k, cx.arena, cx.rows, cx.thread);
    slots.arena = cx.arena;
    slots.rows = cx.rows;
  }
  for (std::size_t k : f.elsewhere) {
    const NodeId source = outside_source(g.slots[k]);
    start[k] = g.slots[k].bias_row ? const_cast<T*>(value(source, cx)) : result(source, cx);
    if (g.slots[k].sum && !adds_to_sum(source, cx))  // the first rows into its total add to zeros (copy_or_sum)
      std::fill_n(start[k], count_of(node_of(source).shape.cols), T(0));
  }
  for (std::size_t r = 0; r < cx.rows; r += g.block_rows) {
    const std::size_t rows = std::min(g.block_rows, cx.rows - r);
    T** block = start;  // the first block starts where the slots do (at one row, the only block)
    if (r > 0) {
      block = slots.block.data();
      for (std::size_t k = 0; k < count; ++k) block[k] = start[k] + (g.slots[k].scratch ? 0 : r * f.row_step[k]);
    }
    kernels::fused<T>(steps, block, f.row_step.data(), rows);
    if (!options_.check_finite) continue;
    for (const kernels::FusedStep<T>& s : steps) check_finite(g.slots[s.y].node, block[s.y], rows, s.cols, cx.r0 + r);
  }
}

template class Runner<float>;
template class Runner<double>;

}  // namespace wengert::detail
