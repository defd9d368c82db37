// A run: check the bound inputs, run the shared steps before the batch, the
// chunks of rows over the threads, add up the reductions' sums, run the shared
// steps after the batch, and copy the outputs out.
//
// Weight transposes are read through at small batches (a product reads W by
// rows, as dot products) and formed once per run at large ones, where the
// faster row-major kernel repays forming Wᵀ. So too a product (X ⊙ r)·B with a
// weight row r: at large batches it is X·(diag(r)·B), diag(r)·B formed once per
// run and X ⊙ r never (exec/scaled_rows.cpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>

#include "exec/runner.hpp"
#include "support/memory.hpp"
#include "tape/index.hpp"
#include "wengert/error.hpp"

namespace wengert::detail {

namespace {
constexpr std::size_t rows_of_a_large_batch = 16;
}

template <class T>
Runner<T>::Runner(Plan plan, const ProgramOptions& options) : plan_(std::move(plan)), options_(options) {
  const auto threads = static_cast<std::size_t>(std::max(1, options.threads));
  const double arena_bytes = double(plan_.arena_width) * double(plan_.chunk_rows) * double(threads);
  check_fits_in_memory("Program: the planned buffers", (double(plan_.shared_size) + arena_bytes) * sizeof(T),
                       "use fewer threads or smaller chunks (ProgramOptions), or a smaller tape");
  shared_.assign(plan_.shared_size, T(0));
  arenas_.assign(threads, AlignedVector<T>(plan_.whole_batch ? 0 : plan_.arena_width * plan_.chunk_rows));
  // The blocks' sums (run_chunks): twelve blocks, which 1, 2, 3, 4 and 6
  // threads share evenly, or fewer where the sums are wide (a fixed memory
  // budget: the count depends on the plan, never on the threads).
  constexpr std::size_t most_blocks = 12, budget_bytes = std::size_t(64) << 20;
  const std::size_t affordable = budget_bytes / std::max<std::size_t>(1, plan_.partial_size * sizeof(T));
  if (plan_.partial_size > 0)
    block_sums_.assign(std::clamp<std::size_t>(affordable, 1, most_blocks), std::vector<T>(plan_.partial_size));
  totals_.assign(plan_.partial_size, T(0));
  if (threads > 1) pool_ = std::make_unique<ThreadPool>(static_cast<int>(threads));
  bound_.assign(plan_.tape.inputs().size(), MatrixView<const T>{});
  outputs_.assign(plan_.tape.outputs().size(), Matrix<T>());
  computes_batch_rows_ =
      std::any_of(plan_.place.begin(), plan_.place.end(), [](Place p) { return p != Place::shared; });
  for (std::size_t s = 0; s < plan_.before.size(); s = plan_.before_group_end[s]) {
    const bool read_through = plan_.before_group_end[s] == s + 1 && plan_.read_through[index_of(plan_.before[s])];
    if (!read_through) before_runs_[0].push_back(s);  // its users read W by rows at small batches
    before_runs_[1].push_back(s);
  }
  locate_values();
  compile_groups();
  compile_pairs();
  compile_row_calls();
  if (options_.profile) reset_profile();
}

template <class T>
void Runner<T>::reset_profile() {
  seconds_.assign(arenas_.size(), std::vector<double>(plan_.tape.nodes().size(), 0.0));
  runs_ = 0;
}

template <class T>
std::vector<double> Runner<T>::step_seconds() const {
  std::vector<double> total(plan_.tape.nodes().size(), 0.0);
  for (const std::vector<double>& thread : seconds_)
    for (std::size_t i = 0; i < total.size(); ++i) total[i] += thread[i];
  return total;
}

// With profile, each step's time goes to its node; a pair's to the first of the two.
template <class T>
template <class Work>
void Runner<T>::timed(NodeId id, std::size_t thread, Work&& work) {
  if (!options_.profile) return work();
  const auto start = std::chrono::steady_clock::now();
  work();
  seconds_[thread][std::size_t(id)] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template <class T>
void Runner<T>::timed_step(NodeId id, const Chunk& cx) {
  timed(id, cx.thread, [&] { step(id, cx); });
}

// The batch size, from the inputs with a row per sample, which must agree.
template <class T>
std::size_t Runner<T>::batch_rows_of_inputs() const {
  std::size_t rows = 0, rows_from = 0;
  for (std::size_t k = 0; k < bound_.size(); ++k) {
    const Input& in = plan_.tape.inputs()[k];
    if (bound_[k].data == nullptr)
      throw UsageError(
          fmt::format("Program::run: input '{}' is not bound; call set(\"{}\", value) first", in.name, in.name));
    if (in.shape.rows != batch) continue;
    if (rows == 0) {
      rows = bound_[k].rows;
      rows_from = k;
    } else if (bound_[k].rows != rows) {
      throw ShapeError(
          fmt::format("Program::run: input '{}' has {} rows but '{}' has {}; inputs with a row per "
                      "sample need the same number of rows",
                      in.name, bound_[k].rows, plan_.tape.inputs()[rows_from].name, rows));
    }
  }
  if (computes_batch_rows_ && rows == 0)
    throw UsageError("Program::run: the tape computes per-sample rows but has no input with a row per sample");
  return rows;
}

// Outputs (and a whole-batch arena) are allocated when the batch size changes, not per run.
template <class T>
void Runner<T>::resize_outputs(std::size_t rows) {
  if (rows == batch_rows_ && !outputs_.empty() && outputs_[0].rows() != 0) return;
  double entries = plan_.whole_batch ? double(plan_.arena_width) * double(rows) : 0;
  for (const Output& out : plan_.tape.outputs()) {
    const Shape s = node_of(out.node).shape;
    entries += double(s.rows == batch ? rows : count_of(s.rows)) * double(count_of(s.cols));
  }
  check_fits_in_memory(fmt::format("Program::run: a batch of {} rows", rows), entries * sizeof(T),
                       "run the batch in parts");
  batch_rows_ = rows;
  for (std::size_t k = 0; k < outputs_.size(); ++k) {
    const Shape s = node_of(plan_.tape.outputs()[k].node).shape;
    outputs_[k] = Matrix<T>(s.rows == batch ? rows : count_of(s.rows), count_of(s.cols));
  }
  if (plan_.whole_batch) arenas_[0].assign(plan_.arena_width * rows, T(0));
}

// With check_finite, the inputs are checked too: an output that is an input is never a step.
template <class T>
void Runner<T>::check_inputs_finite() const {
  for (std::size_t k = 0; k < bound_.size(); ++k) {
    const MatrixView<const T>& v = bound_[k];
    for (std::size_t e = 0; e < v.rows * v.cols; ++e)
      if (!std::isfinite(v.data[e]))
        throw NonFiniteError(fmt::format("Program::run: input '{}' holds {} at row {}, column {}",
                                         plan_.tape.inputs()[k].name, std::isnan(v.data[e]) ? "NaN" : "Inf", e / v.cols,
                                         e % v.cols));
  }
}

template <class T>
void Runner<T>::run() {
  const std::size_t rows = batch_rows_of_inputs();
  if (options_.check_finite) check_inputs_finite();
  resize_outputs(rows);
  large_batch_ = rows >= rows_of_a_large_batch;
  const Chunk shared{arenas_[0].data(), nullptr, 0, 0};
  if (options_.profile) ++runs_;
  run_before(shared);
  if (large_batch_) form_scaled_weights(shared);
  if (plan_.whole_batch) {
    const Chunk all{arenas_[0].data(), nullptr, 0, rows};
    run_steps(all);
    copy_rows_out(all);
  } else if (rows == 1 && !row_calls_.empty()) {
    run_one_row();        // the latency case: the same steps, their arguments found once (one_row.cpp)
  } else if (rows > 0) {  // even with no steps: an output may be an input, copied out per chunk
    run_chunks(rows);
  }
  for (NodeId id : plan_.after) timed_step(id, shared);
  copy_shared_out();
}

// The chunk steps in order; at one row a paired product runs with its partner
// (unless one folds a row scale into its weight: a large batch's chunks of one
// row, where the sums over the batch make many); a fused group runs as one
// step. A pair's or group's time goes to its first node.
template <class T>
void Runner<T>::run_steps(const Chunk& cx) {
  for (std::size_t s = 0; s < plan_.chunk.size();) {
    const bool pair = cx.rows == 1 && plan_.paired[s] && !(large_batch_ && pairs_[s].may_fold_scale);
    const bool group = plan_.group_end[s] > s + 1;
    if (!pair && !group) {
      timed_step(plan_.chunk[s++], cx);
      continue;
    }
    timed(plan_.chunk[s], cx.thread, [&] {
      if (pair)
        step_pair(pairs_[s], cx);
      else
        run_group(plan_.group_of[s], cx);
    });
    s = pair ? s + 2 : plan_.group_end[s];
  }
}

// The shared steps before the chunks this run needs; a fused group of them runs over its values' rows.
template <class T>
void Runner<T>::run_before(const Chunk& shared) {
  for (std::size_t s : before_runs_[large_batch_ ? 1 : 0]) {
    if (plan_.before_group_end[s] == s + 1) {
      timed_step(plan_.before[s], shared);
      continue;
    }
    const std::size_t g = plan_.before_group_of[s];
    Chunk rows = shared;
    rows.rows = plan_.groups[g].rows;
    timed(plan_.before[s], shared.thread, [&] { run_group(g, rows); });
  }
}

// diag(r)·B for the products (X ⊙ r)·B that fold their row scales into their
// weights this run; its time counts as the first such product's.
template <class T>
void Runner<T>::form_scaled_weights(const Chunk& shared) {
  if (plan_.scaled_products.empty()) return;
  timed(plan_.scaled_products.front(), shared.thread, [&] {
    for (const ScaledWeight& scaled : plan_.scaled_weights) {
      const T* r = value(scaled.row, shared);
      const T* b = value(scaled.weight, shared);
      T* y = shared_.data() + scaled.offset;
      const std::size_t k = count_of(node_of(scaled.weight).shape.rows),
                        n = count_of(node_of(scaled.weight).shape.cols);
      for (std::size_t i = 0; i < k; ++i) kernels::unary(Op::mul_scalar, b + i * n, y + i * n, n, r[i], options_.simd);
    }
  });
}

// The rows run in blocks of consecutive rows, as even as rows allow, block b
// on thread b mod threads, each block in chunks of at most chunk_rows rows.
// Where the tape sums over the batch, each block adds its chunks' sums in
// order into a buffer of its own, and the blocks' buffers are added into the
// totals in block order. How many blocks there are depends on the batch and
// the plan, never on the threads, so the sums round the same whatever the
// number of threads; only the chunk size changes them. Without sums there is
// one block per thread: an even share each.
template <class T>
void Runner<T>::run_chunks(std::size_t rows) {
  const std::size_t blocks = std::min(rows, block_sums_.empty() ? arenas_.size() : block_sums_.size());
  const std::size_t threads = std::min(arenas_.size(), blocks);
  auto job = [&](std::size_t t) {
    for (std::size_t b = t; b < blocks; b += threads) {
      T* sums = block_sums_.empty() ? nullptr : block_sums_[b].data();
      const std::size_t first = b * rows / blocks, end = (b + 1) * rows / blocks;
      for (std::size_t r0 = first; r0 < end; r0 += plan_.chunk_rows) {
        const Chunk cx{arenas_[t].data(), sums, r0, std::min(plan_.chunk_rows, end - r0), r0 == first, t};
        run_steps(cx);
        copy_rows_out(cx);
      }
    }
  };
  if (threads <= 1 || !pool_)
    job(0);
  else
    pool_->run([&](int t) {
      if (static_cast<std::size_t>(t) < threads) job(static_cast<std::size_t>(t));
    });
  if (!block_sums_.empty()) finish_reductions(blocks, rows);
}

// Each total is the sum of the blocks' sums, in block order (a mean's, divided by the batch size).
template <class T>
void Runner<T>::finish_reductions(std::size_t blocks, std::size_t rows) {
  std::copy(block_sums_[0].begin(), block_sums_[0].end(), totals_.begin());
  for (std::size_t b = 1; b < blocks; ++b)
    for (std::size_t e = 0; e < totals_.size(); ++e) totals_[e] += block_sums_[b][e];
  for (NodeId id : plan_.totals) {
    const std::size_t i = index_of(id);
    const Node& node = node_of(id);
    const std::size_t size = count_of(node.shape.rows) * count_of(node.shape.cols);
    T* y = shared_.data() + plan_.offset[i];
    std::copy_n(totals_.data() + plan_.partial_offset[i], size, y);
    if (node.op == Op::mean_rows && node_of(node.a).shape.rows == batch)
      for (std::size_t e = 0; e < size; ++e) y[e] /= static_cast<T>(rows);
  }
}

template <class T>
void Runner<T>::copy_rows_out(const Chunk& cx) {
  for (std::size_t k = 0; k < outputs_.size(); ++k) {
    const NodeId id = plan_.tape.outputs()[k].node;
    if (plan_.place[index_of(id)] != Place::batch) continue;
    std::copy_n(value(id, cx), cx.rows * outputs_[k].cols(), outputs_[k].data() + cx.r0 * outputs_[k].cols());
  }
}

template <class T>
void Runner<T>::copy_shared_out() {
  const Chunk shared{arenas_[0].data(), nullptr, 0, 0};
  for (std::size_t k = 0; k < outputs_.size(); ++k) {
    const NodeId id = plan_.tape.outputs()[k].node;
    if (plan_.place[index_of(id)] == Place::batch) continue;
    std::copy_n(value(id, shared), outputs_[k].rows() * outputs_[k].cols(), outputs_[k].data());
  }
}

template class Runner<float>;
template class Runner<double>;

}  // namespace wengert::detail
