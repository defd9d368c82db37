// A run of one row, the latency case: a sample at a time, where each step's
// arithmetic is a matrix-vector product or a pass over one row of a layer, and
// finding a step's arguments (where each value lives, whether a product reads
// its weight by rows, which bias row it adds) costs about as much as a small
// kernel. Here the chunk's steps are found once, when the program is made, as a
// flat list of calls with their arguments resolved: the arena's and the shared
// storage's places as pointers, an input's as its bound view plus an offset
// (a view may be bound anew before any run). The same kernels with the same
// arguments as run_steps at one row: the same bits.
#include <utility>

#include "exec/runner.hpp"
#include "kernels/fused.hpp"
#include "kernels/kernels.hpp"
#include "tape/index.hpp"

namespace wengert::detail {

// Where node id's value is in a one-row run, as the place of a pointer and an offset.
template <class T>
typename Runner<T>::RowPointer Runner<T>::row_pointer(NodeId id) const {
  if (id == no_node) return {};
  const Where& w = where_[index_of(id)];
  switch (w.in) {
    case Where::In::arena: return {&row_bases_[0], w.at};  // a column of one row
    case Where::In::shared: return {&row_bases_[1], w.at};
    case Where::In::input: return {&bound_[w.at].data, w.offset};  // row 0 of a batch input
  }
  return {};
}

// The calls of run_steps at one row (large_batch_ false: no row scale folds),
// for a plan run in chunks without sums over the batch; else none, and a row
// runs as a chunk: so too with profile (each step timed) or check_finite (each
// result checked).
template <class T>
void Runner<T>::compile_row_calls() {
  row_calls_.clear();
  row_group_slots_.clear();
  row_slot_refresh_.clear();
  if (plan_.whole_batch || !block_sums_.empty() || options_.profile || options_.check_finite) return;
  row_bases_ = {arenas_[0].data(), shared_.data()};
  const bool large_batch = std::exchange(large_batch_, false);  // decided as a run of one row decides

  auto written = [&](NodeId id) {  // a batch value's place: its column of the arena
    return arenas_[0].data() + where_[index_of(id)].at;
  };
  auto in_arena = [&](NodeId id) { return where_[index_of(id)].in == Where::In::arena; };
  for (std::size_t s = 0; s < plan_.chunk.size();) {
    const NodeId id = plan_.chunk[s];
    const Node& node = node_of(id);
    RowCall call{.kind = RowCall::Kind::step, .id = id};
    std::size_t next = s + 1;
    if (plan_.paired[s] && in_arena(pairs_[s].first) && in_arena(pairs_[s].second)) {
      const PairedProducts& p = pairs_[s];
      const bool by_rows = reads_weight_by_rows(p.weight_rows != no_node, p.cols);
      call = {.kind = RowCall::Kind::pair,
              .id = p.first,
              .n = p.cols,
              .k = p.k,
              .b_row = by_rows ? std::size_t(1) : p.cols,
              .b_col = by_rows ? p.k : 1,
              .a0 = row_pointer(p.a0),
              .a1 = row_pointer(p.a1),
              .b = row_pointer(by_rows ? p.weight_rows : p.weight),
              .row0 = row_pointer(p.row0),
              .row1 = row_pointer(p.row1),
              .y0 = written(p.first),
              .y1 = written(p.second)};
      next = s + 2;
    } else if (plan_.group_end[s] > s + 1) {
      call.kind = RowCall::Kind::group;
      call.group = plan_.group_of[s];
      compile_row_group(call);
      next = plan_.group_end[s];
    } else if (node.op == Op::matmul && plan_.place[index_of(node.a)] != Place::transposed && in_arena(id) &&
               !plan_.reduction[index_of(id)]) {
      const std::size_t cols = count_of(node.shape.cols), k = count_of(node_of(node.a).shape.cols);
      const bool by_rows = reads_weight_by_rows(plan_.read_through[index_of(node.b)], cols);
      call = {.kind = RowCall::Kind::product,
              .id = id,
              .n = cols,
              .k = k,
              .b_row = by_rows ? std::size_t(1) : cols,
              .b_col = by_rows ? k : 1,
              .a0 = row_pointer(node.a),
              .b = row_pointer(by_rows ? node_of(node.b).a : node.b),
              .row0 = row_pointer(bias_source(id)),
              .y0 = written(id)};
    }
    row_calls_.push_back(call);
    s = next;
  }
  large_batch_ = large_batch;
}

// A group's slots at one row, as run_group finds them for a chunk of one row:
// the places in the arena and the scratch once, the others (bias rows, inputs)
// as places to read every run.
template <class T>
void Runner<T>::compile_row_group(RowCall& call) {
  const Group& g = plan_.groups[call.group];
  call.slots = row_group_slots_.size();
  call.refresh = row_slot_refresh_.size();
  for (std::size_t k = 0; k < g.slots.size(); ++k)
    row_group_slots_.push_back(group_slot_start(call.group, k, arenas_[0].data(), 1, 0));
  for (std::size_t k : fused_[call.group].elsewhere)
    row_slot_refresh_.push_back({call.slots + k, row_pointer(outside_source(g.slots[k]))});
  call.refresh_end = row_slot_refresh_.size();
}

// One row, by the calls found once; then the row's outputs.
template <class T>
void Runner<T>::run_one_row() {
  const Chunk cx{arenas_[0].data(), nullptr, 0, 1, true, 0};
  const bool simd = options_.simd;
  for (const RowCall& c : row_calls_) {
    switch (c.kind) {
      case RowCall::Kind::pair:
        kernels::gemm_pair(c.n, c.k, c.a0.get(), c.a1.get(), c.b.get(), c.b_row, c.b_col, c.y0, c.y1, c.row0.get(),
                           c.row1.get(), simd);
        break;
      case RowCall::Kind::product:
        kernels::gemm(1, c.n, c.k, c.a0.get(), c.k, 1, c.b.get(), c.b_row, c.b_col, c.y0, c.n, false, c.row0.get(),
                      simd);
        break;
      case RowCall::Kind::group:
        for (std::size_t r = c.refresh; r < c.refresh_end; ++r)
          row_group_slots_[row_slot_refresh_[r].slot] = const_cast<T*>(row_slot_refresh_[r].from.get());
        kernels::fused<T>(fused_[c.group].steps, row_group_slots_.data() + c.slots, fused_[c.group].row_step.data(), 1);
        break;
      case RowCall::Kind::step: step(c.id, cx); break;
    }
  }
  copy_rows_out(cx);
}

template class Runner<float>;
template class Runner<double>;

}  // namespace wengert::detail
