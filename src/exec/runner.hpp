// Running a plan: the buffers of a program and the walk over its steps.
// run.cpp holds the run (inputs, chunks over threads, reductions, outputs);
// step.cpp computes one step over one chunk of rows.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exec/plan.hpp"
#include "exec/thread_pool.hpp"
#include "kernels/kernels.hpp"
#include "tape/index.hpp"
#include "wengert/matrix.hpp"

namespace wengert::detail {

template <class T>
class Runner {
 public:
  Runner(Plan plan, const ProgramOptions& options);

  const Plan& plan() const { return plan_; }
  /// Binds input k (checked by the caller).
  void bind(std::size_t k, MatrixView<const T> value) { bound_[k] = value; }
  void run();
  /// Output k of the last run; empty before the first.
  const Matrix<T>& output(std::size_t k) const { return outputs_[k]; }
  /// With ProgramOptions::profile: seconds in each node's step (by node id), over
  /// every thread and run since the last reset; and the runs counted.
  std::vector<double> step_seconds() const;
  std::size_t profiled_runs() const { return runs_; }
  void reset_profile();

 private:
  // A chunk: rows [r0, r0 + rows) of the batch, its arena, and where its
  // reductions add their sums (null: straight into the shared value).
  struct Chunk {
    T* arena;
    T* partial;
    std::size_t r0, rows;
    bool first_in_block = false;  // its reductions' first steps write their sums rather than add to them
    std::size_t thread = 0;       // whose profile it adds to
  };
  // A product and its partner as a pair runs them at one row (step.cpp, compile_pairs).
  struct PairedProducts {
    NodeId first = no_node, second = no_node;
    NodeId a0 = no_node, a1 = no_node;      // their left arguments
    NodeId weight = no_node;                // their common right argument
    NodeId weight_rows = no_node;           // for a read-through Wᵀ, the W it reads by rows; else none
    NodeId row0 = no_node, row1 = no_node;  // the bias rows they add as they store, or none
    std::size_t cols = 0, k = 0;
    bool may_fold_scale = false;  // one of them folds a row scale into its weight at large batches
  };

  // A place a one-row run reads (one_row.cpp): *base + offset, where base is
  // the arena's, the shared storage's or a bound input's pointer; null if none.
  struct RowPointer {
    const T* const* base = nullptr;
    std::size_t offset = 0;
    const T* get() const { return base ? *base + offset : nullptr; }
  };
  // One call of a one-row run: a pair of products, a product, a fused group or any other step.
  struct RowCall {
    enum class Kind : std::uint8_t { pair, product, group, step } kind = Kind::step;
    NodeId id = no_node;                             // the (first) node
    std::size_t group = 0;                           // a group's index
    std::size_t n = 0, k = 0, b_row = 0, b_col = 0;  // a product's sizes and its weight's strides
    RowPointer a0, a1, b, row0, row1;                // its arguments and bias rows
    T* y0 = nullptr;                                 // where it writes (a pair: and y1)
    T* y1 = nullptr;
    std::size_t slots = 0;                     // a group's slots: from row_group_slots_[slots]
    std::size_t refresh = 0, refresh_end = 0;  // and those found every run: row_slot_refresh_[refresh, end)
  };
  // A group slot a one-row run finds every run: a bias row or a value outside the arena.
  struct SlotRefresh {
    std::size_t slot;  // in row_group_slots_
    RowPointer from;
  };

  // run.cpp
  std::size_t batch_rows_of_inputs() const;
  void check_inputs_finite() const;
  void resize_outputs(std::size_t rows);
  void run_chunks(std::size_t rows);
  void run_steps(const Chunk& cx);
  void compile_groups();
  void run_before(const Chunk& shared);
  void form_scaled_weights(const Chunk& shared);
  void run_group(std::size_t group, const Chunk& cx);  // fused element-wise steps, a block of rows at a time
  T* group_slot_start(std::size_t group, std::size_t k, T* arena, std::size_t rows, std::size_t thread);
  NodeId outside_source(const GroupSlot& slot) const;
  void timed_step(NodeId id, const Chunk& cx);  // step, and with profile its time
  template <class Work>
  void timed(NodeId id, std::size_t thread, Work&& work);  // work, and with profile its time, as node id's
  void finish_reductions(std::size_t blocks, std::size_t rows);
  void copy_rows_out(const Chunk& cx);
  void copy_shared_out();

  // one_row.cpp
  RowPointer row_pointer(NodeId id) const;
  void compile_row_calls();
  void compile_row_group(RowCall& call);
  void run_one_row();

  // step.cpp
  void step(NodeId id, const Chunk& cx);
  void compile_pairs();
  void step_pair(const PairedProducts& pair, const Chunk& cx);
  void elementwise(const Node& node, std::size_t rows, const Chunk& cx, T* y);
  void copy_or_sum(NodeId id, const Node& node, std::size_t rows, const Chunk& cx, T* y);
  void layout(const Node& node, std::size_t rows, const Chunk& cx, T* y);
  void product(NodeId id, const Node& node, std::size_t rows, const Chunk& cx, T* y);
  void check_finite(NodeId id, const T* y, std::size_t rows, std::size_t cols, std::size_t r0) const;
  void locate_values();
  // A node's value in this chunk, where locate_values found it (in this header:
  // every step asks for its arguments: as a call, 4% of an HVP at one row).
  const T* value(NodeId id, const Chunk& cx) const {
    const Where& w = where_[index_of(id)];
    switch (w.in) {
      case Where::In::arena: return cx.arena + w.at * cx.rows;
      case Where::In::shared: return shared_.data() + w.at;
      case Where::In::input: return bound_[w.at].data + w.offset + (w.batch_rows ? cx.r0 * w.cols : 0);
    }
    return nullptr;
  }
  // A node of the plan's tape: ids from the plan are valid by construction, so
  // the run skips the check (and the call) Tape::node makes for ids from outside.
  const Node& node_of(NodeId id) const { return plan_.tape.nodes()[index_of(id)]; }
  T* result(NodeId id, const Chunk& cx);
  std::size_t rows_of(NodeId id, const Chunk& cx) const;
  // Whether a product reads W by rows this run: its weight is a read-through Wᵀ and the
  // batch is small or its columns few (else Wᵀ is formed before the chunks).
  bool reads_weight_by_rows(bool weight_read_through, std::size_t cols) const;
  bool folds_scale(NodeId product) const;
  NodeId bias_source(NodeId product) const;                  // the row it adds as it stores, or no node
  const T* bias_row(NodeId product, const Chunk& cx) const;  // that row in this chunk (exec/bias_rows.cpp), or nullptr
  bool adds_to_sum(NodeId id, const Chunk& cx) const;

  Plan plan_;
  ProgramOptions options_;
  struct Where {  // where a node's value is read (step.cpp, locate_values)
    enum class In : std::uint8_t { arena, shared, input } in = In::shared;
    bool batch_rows = false;  // an input over the batch
    std::size_t at = 0;       // arena: column; shared: entry; input: the input's index
    std::size_t offset = 0;   // input: entries into it (a view of a weight input)
    std::size_t cols = 0;     // an input over the batch: its columns
  };
  std::vector<Where> where_;  // per node
  AlignedVector<T> shared_;
  std::vector<AlignedVector<T>> arenas_;    // one per thread
  std::vector<std::vector<T>> block_sums_;  // the reductions' sums over each block of chunks (run.cpp)
  std::vector<T> totals_;                   // and over all blocks
  std::vector<MatrixView<const T>> bound_;
  std::vector<Matrix<T>> outputs_;
  std::size_t batch_rows_ = 0;        // of the last run
  bool computes_batch_rows_ = false;  // some value has a row per sample (or is their transpose)
  bool large_batch_ = true;  // this run forms the read-through weight transposes and folds row scales (run.cpp)
  // The shared steps before the chunks a run calls (a group by its first), at
  // small batches and at large ones: a small batch skips the read-through Wᵀ.
  std::array<std::vector<std::size_t>, 2> before_runs_;
  std::unique_ptr<ThreadPool> pool_;
  // A fused group as the kernel runs it: its steps (at a large batch without
  // those whose row scales fold into weights), and each slot's step between rows.
  struct FusedGroup {
    std::vector<kernels::FusedStep<T>> steps, large_batch_steps;
    std::vector<std::size_t> row_step;
    std::vector<std::size_t> arena_column;  // per slot: where a value in the arena starts, or in_scratch_or_elsewhere
    std::vector<std::size_t> elsewhere;     // the slots neither in the arena nor in the scratch
  };
  // Where a group's slots start in one thread's chunk (run_group), for the
  // arena and rows they were found for, and in the block of rows it runs.
  struct GroupSlots {
    const T* arena = nullptr;
    std::size_t rows = 0;
    std::vector<T*> start, block;
  };
  static constexpr std::size_t in_scratch_or_elsewhere = std::size_t(-1);
  std::vector<FusedGroup> fused_;                     // per group of the plan
  std::vector<AlignedVector<T>> scratch_;             // per thread: the largest group's scratch
  std::vector<std::vector<GroupSlots>> group_slots_;  // per thread, per group
  std::vector<PairedProducts> pairs_;                 // per chunk step that starts a pair (plan.paired)
  std::vector<RowCall> row_calls_;                    // a one-row run's calls; none if it runs as a chunk
  // Thread 0's arena and the shared storage, where a one-row run's calls find
  // them: on the heap, since a runner moves with its program.
  std::vector<const T*> row_bases_;
  std::vector<T*> row_group_slots_;            // the one-row groups' slots: arena and scratch places, found once
  std::vector<SlotRefresh> row_slot_refresh_;  // and the others, found every run
  std::vector<std::vector<double>> seconds_;   // profile: per thread (each adds to its own), per node id
  std::size_t runs_ = 0;                       // profile: runs since the last reset
};

extern template class Runner<float>;
extern template class Runner<double>;

}  // namespace wengert::detail
