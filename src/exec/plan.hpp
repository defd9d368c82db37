// A plan: what planning a tape decides, once, before any run. Where every
// node's value lives, which nodes are read through instead of formed, which
// ones sum over the batch, and the steps of a run in order. Planning is a
// sequence of named passes (planning.cpp), each deciding one of these things.
//
// Where a value lives:
//   batch        its rows are the batch of samples: computed chunk by chunk (a
//                few dozen rows that fit in cache), chunks spread over threads;
//                its buffer is a slot in the chunk's arena, reused once dead;
//   shared       parameters and what is computed from them: one buffer, computed
//                once per run, before the chunks (or after them, see reductions);
//   transposed   the transpose of batch rows, never formed: the product Xᵀ·Y
//                that uses it is a sum over the batch, computed by the GEMM
//                kernel with a transposed view of X.
// A shared value that is a contiguous block of another's storage (a row of a
// weight, the transpose of a row) is a view: read there, never formed.
// A batch value X ⊙ r (r a weight row) that only products with weights use is,
// at large batches, not formed either: its products compute X·(diag(r)·B).
// An add X·W + b of a bias row to a product nothing else reads is no step: the
// product adds the row as it stores its result, in the add's stead.
// A shared node computed from batch rows (sum_rows, Xᵀ·Y) is a reduction: the
// chunks add their parts into sums, which are added up in chunk order after the
// chunks (run.cpp). A sum of reductions is one reduction. Shared nodes that
// need a reduction run after the chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "wengert/program.hpp"
#include "wengert/tape.hpp"

namespace wengert::detail {

enum class Place : std::uint8_t { shared, batch, transposed };

// A fused group of element-wise steps as a program over slots (exec/grouping.cpp).
// A slot is a value the group reads or writes: one from before the group or
// one that leaves it (in the arena, or an input), a bias row read through, or
// one that lives and dies inside the group, kept in the group's scratch: a few
// rows, `offset` columns into a scratch row. The kernel runs `block_rows` rows
// at a time (kernels/fused.hpp).
struct GroupSlot {
  NodeId node;         // for a bias row: the broadcast read through
  bool bias_row;       // the same row for every row
  bool scratch;        // in the group's scratch
  std::size_t offset;  // scratch: columns into a scratch row
  bool sum = false;    // a sum over the batch: every row of its argument is added into its one row
};
struct GroupStep {
  std::uint32_t a, b, y;  // slots (b: a unary step's is its a, unread)
};
struct Group {
  std::vector<GroupSlot> slots;
  std::vector<GroupStep> steps;   // the group's chunk steps, in order
  std::size_t scratch_width = 0;  // columns of a scratch row
  std::size_t block_rows = 0;     // rows per kernel call
  std::size_t rows = 0;           // a group of shared steps: its values' rows (0: a chunk's)
};

// diag(row)·weight for products (X ⊙ row)·weight at large batches (exec/scaled_rows.cpp).
struct ScaledWeight {
  NodeId row, weight;
  std::size_t offset;  // into the shared storage
};

struct Plan {
  Tape tape;
  std::vector<Place> place;              // per node
  std::vector<bool> is_output;           // per node: an output, formed and copied out
  std::vector<bool> read_through;        // per node: never formed, read through by its users (a bias row, a Wᵀ)
  std::vector<bool> reduction;           // per node: a shared value summed over the batch
  std::vector<bool> after_reduction;     // per node: a shared value that needs a reduction's result
  std::vector<NodeId> sums_into;         // per reduction: the total it adds into (itself, or a sum it is part of)
  std::vector<bool> first_into_total;    // per reduction: the first chunk step that adds into its total
  std::vector<NodeId> totals;            // the reductions whose totals are their values
  std::vector<NodeId> view_of;           // per node: the shared value whose storage it is a block of (a view)
  std::vector<std::size_t> view_offset;  // per view: where its block starts, in entries
  std::vector<bool> needed;              // per node: an output needs it (views skip what lies between)
  std::vector<NodeId> scaled_rows;  // per node X ⊙ r whose products fold r into their weights: X (at large batches)
  std::vector<NodeId> scaled_products;        // those products
  std::vector<ScaledWeight> scaled_weights;   // their weights diag(r)·B, formed before the chunks of a large batch
  std::vector<std::size_t> scaled_weight_of;  // per such product: its weight's index in scaled_weights
  std::vector<NodeId> bias_row;     // per product: the bias row (its broadcast) it adds as it stores, or no_node
  std::vector<NodeId> formed_by;    // per add of a bias row: the product that computes it, in its own storage
  std::vector<std::size_t> offset;  // shared: into the shared storage; batch: arena column offset
  std::vector<std::size_t> partial_offset;   // reductions: into a buffer of partial sums
  std::vector<NodeId> before, chunk, after;  // the steps of a run: before the chunks, per chunk, after them
  std::vector<bool> paired;                  // per chunk step: runs with the next step at one row (pair_products)
  std::vector<std::size_t> group_end;        // per chunk step: one past the last step of its fused group (its own + 1)
  std::vector<std::size_t> group_of;         // per chunk step starting a group of two or more: its index in groups
  std::vector<std::size_t> before_group_end, before_group_of;  // the same, for the shared steps before the chunks
  std::vector<Group> groups;                                   // the fused groups
  std::vector<bool> scratch;                      // per node: lives in its group's scratch, never in the arena
  bool whole_batch = false;                       // a batch value needs a reduction: one chunk of all rows
  std::size_t shared_size = 0, partial_size = 0;  // entries
  std::size_t arena_width = 0;                    // columns of a chunk's arena
  std::size_t chunk_rows = 0;                     // rows per chunk
};

/// Plans the tape for values of `element_size` bytes. Throws UsageError for a
/// tape the executor cannot run (a transposed batch used other than as Xᵀ·Y).
Plan make_plan(Tape tape, const ProgramOptions& options, std::size_t element_size);

/// 6. Which shared values are views of another's storage, and which values are
/// needed at all (exec/views.cpp).
void find_views(Plan& plan);

/// 7. Which products (X ⊙ r)·B fold the weight row r into the weight B at large
/// batches, as X·(diag(r)·B), for values of `element_size` bytes (exec/scaled_rows.cpp).
void find_scaled_products(Plan& plan, std::size_t element_size);

/// 8. Which adds of a bias row to a product the product computes as it stores
/// its result (exec/bias_rows.cpp).
void find_bias_rows(Plan& plan, const ProgramOptions& options);

/// 12. Which chunk steps, and which shared steps before the chunks, run as one
/// fused group, and each group's program (exec/grouping.cpp; the other passes
/// are in planning.cpp).
void group_element_wise(Plan& plan, const ProgramOptions& options, std::size_t element_size);

/// Steps of a list after fusion, from its group_end: a group counts once.
std::size_t fused_step_count(const std::vector<std::size_t>& group_end);

/// One line: what the plan holds and how a run proceeds.
std::string describe(const Plan& plan, std::size_t element_size, int threads, bool simd);

/// The profile as a table: the plan's steps in order with op, shape, time per run
/// and share, from the seconds per node id over `runs` runs (exec/profile.cpp).
std::string profile_text(const Plan& plan, const std::vector<double>& seconds, std::size_t runs);

}  // namespace wengert::detail
