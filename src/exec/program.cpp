// The executor: plan a tape once, run it many times.
//
// Planning decides where every node's value lives and in what order the nodes
// run. Three kinds of node:
//   batch   rows are the batch of samples: computed chunk by chunk (a few dozen
//           rows that fit in cache), chunks spread over threads; their buffers
//           live in a per-thread arena and are reused once dead;
//   shared  parameters and what is computed from them alone (a transposed
//           weight): computed once per run, before the chunks;
//   fused   the transpose of a batch value, never formed: the product Xᵀ·Y that
//           uses it is a sum over the batch, computed by the GEMM kernel with a
//           transposed view.
// Two kinds of node can be read through by their users instead of formed: a
// bias row broadcast over the batch (added row by row), and the transpose of a
// weight. The latter is a choice made at each run: for a few rows the GEMM reads
// W by rows (Y·Wᵀ as dot products) rather than pay for forming Wᵀ; for many, Wᵀ
// is formed once and the faster row-major kernel runs.
// A shared node computed from batch rows (sum_rows, Xᵀ·Y) is a reduction: each
// thread accumulates its chunks into a partial, and the partials are added
// after the chunks. Shared nodes after a reduction run last. If a batch node
// needs a reduction's result (a batch mean fed back into the rows), rows are no
// longer independent: such a tape runs as one chunk of the whole batch.
#include "wengert/program.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>

#include "exec/thread_pool.hpp"
#include "kernels/kernels.hpp"
#include "wengert/error.hpp"
#include "wengert/passes.hpp"

namespace wengert {

namespace {
enum class Kind : std::uint8_t { shared, batch, fused };
}

template <class T>
struct Program<T>::Impl {
  Tape tape;
  ProgramOptions options;
  std::vector<Kind> kind;
  std::vector<bool> reduction;
  std::vector<bool> absorbed;               // read through by its users, never formed
  std::vector<bool> paired;                 // chunk step s runs with step s + 1 at one row (see pair_products)
  std::vector<std::size_t> offset;          // shared: into shared_storage; batch: arena column offset
  std::vector<std::size_t> partial_offset;  // reductions: into each thread's partial buffer
  std::vector<NodeId> pre, chunk, post;     // the steps of a run
  bool whole_batch = false;                 // one chunk of all rows (see above)
  std::size_t arena_width = 0, partial_size = 0, chunk_rows = 0;
  std::vector<T> shared_storage;
  std::vector<std::vector<T>> arenas, partials;
  std::vector<MatrixView<const T>> bound;
  std::vector<Matrix<T>> outputs;
  std::size_t batch_rows = 0;   // of the last run
  bool form_transposes = true;  // this run forms the weight transposes (see above)
  static constexpr std::size_t rows_to_form_transposes = 16;
  static constexpr std::size_t narrow_product = 16;  // output columns below which Y·Wᵀ always reads W by rows
  std::unique_ptr<detail::ThreadPool> pool;

  struct Context {
    T* arena;
    T* partial;
    std::size_t r0, rows;  // the chunk: rows [r0, r0 + rows) of the batch
  };

  void plan();
  void pair_products();
  void assign_batch_slots(const std::vector<NodeId>& steps);
  void exec_pair(NodeId first, NodeId second, const Context& cx);
  std::size_t rows_of(NodeId id, const Context& cx) const {
    return kind[static_cast<std::size_t>(id)] == Kind::batch ? cx.rows
                                                             : static_cast<std::size_t>(tape.node(id).shape.rows);
  }
  const T* value(NodeId id, const Context& cx) const;
  T* result(NodeId id, const Context& cx, bool into_partial);
  void exec(NodeId id, const Context& cx, bool into_partial);
  void check_finite(NodeId id, const T* y, std::size_t rows, std::size_t cols, std::size_t r0) const;
  void run();
};

template <class T>
void Program<T>::Impl::plan() {
  const auto& nodes = tape.nodes();
  const std::size_t n = nodes.size();
  kind.assign(n, Kind::shared);
  for (std::size_t i = 0; i < n; ++i) {
    const Shape s = nodes[i].shape;
    kind[i] = s.rows == batch ? Kind::batch : s.cols == batch ? Kind::fused : Kind::shared;
  }
  // A fused node must be the transpose of batch rows, used only as the left
  // factor of a product with batch rows.
  for (std::size_t i = 0; i < n; ++i) {
    const Node& node = nodes[i];
    for (NodeId arg : {node.a, node.b}) {
      if (arg == no_node || kind[static_cast<std::size_t>(arg)] != Kind::fused) continue;
      const Node& f = tape.node(arg);
      const bool ok = f.op == Op::transpose && node.op == Op::matmul && arg == node.a && node.b != no_node &&
                      kind[static_cast<std::size_t>(node.b)] == Kind::batch;
      if (!ok)
        throw UsageError(
            fmt::format("Program: node %{} ({}) uses %{} ({} of shape {}), a value with one column per sample; only "
                        "products Xᵀ·Y summed over the batch can use such a value",
                        i, op_name(node.op), arg, op_name(f.op), to_string(f.shape)));
    }
  }
  for (const Output& out : tape.outputs())
    if (kind[static_cast<std::size_t>(out.node)] == Kind::fused)
      throw UsageError(
          fmt::format("Program: output '{}' has shape {}; outputs with a column per sample are not "
                      "supported, transpose it back",
                      out.name, to_string(tape.node(out.node).shape)));

  // Weight transposes and bias broadcasts that their users can read through.
  absorbed.assign(n, false);
  std::vector<int> users(n, 0), readers(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const Node& node = nodes[i];
    for (NodeId arg : {node.a, node.b}) {
      if (arg == no_node) continue;
      const auto k = static_cast<std::size_t>(arg);
      ++users[k];
      const Node& x = nodes[k];
      if (x.op == Op::transpose && node.op == Op::matmul && arg == node.b && arg != node.a) ++readers[k];
      if (x.op == Op::broadcast_rows && is_elementwise(node.op) && op_arity(node.op) == 2 && node.a != node.b)
        ++readers[k];
    }
  }
  for (const Output& out : tape.outputs()) users[static_cast<std::size_t>(out.node)] += 1 << 20;  // outputs are formed
  for (std::size_t i = 0; i < n; ++i) {
    const Node& x = nodes[i];
    const bool shared_arg = x.a != no_node && kind[static_cast<std::size_t>(x.a)] == Kind::shared;
    absorbed[i] =
        shared_arg && users[i] > 0 && users[i] == readers[i] &&
        ((x.op == Op::transpose && kind[i] == Kind::shared) || (x.op == Op::broadcast_rows && kind[i] == Kind::batch));
  }

  // Reductions, and the shared nodes that come after one.
  reduction.assign(n, false);
  std::vector<bool> after(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const Node& node = nodes[i];
    if (kind[i] != Kind::shared || node.op == Op::input) continue;
    for (NodeId arg : {node.a, node.b}) {
      if (arg == no_node) continue;
      if (kind[static_cast<std::size_t>(arg)] != Kind::shared) reduction[i] = true;
      if (after[static_cast<std::size_t>(arg)]) after[i] = true;
    }
    if (reduction[i]) after[i] = true;
  }
  whole_batch = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (kind[i] != Kind::batch) continue;
    for (NodeId arg : {nodes[i].a, nodes[i].b})
      if (arg != no_node && after[static_cast<std::size_t>(arg)]) whole_batch = true;
  }

  // The steps of a run.
  pre.clear(), chunk.clear(), post.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = static_cast<NodeId>(i);
    if (nodes[i].op == Op::input || kind[i] == Kind::fused || (absorbed[i] && nodes[i].op != Op::transpose)) continue;
    if (whole_batch)
      chunk.push_back(id);
    else if (kind[i] == Kind::batch || reduction[i])
      chunk.push_back(id);
    else if (after[i])
      post.push_back(id);
    else
      pre.push_back(id);
  }

  // Storage: every shared node has its own place (they are parameter-sized);
  // reductions also have a place in each thread's partial buffer.
  offset.assign(n, 0);
  partial_offset.assign(n, 0);
  std::size_t shared_size = 0;
  partial_size = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (kind[i] != Kind::shared || nodes[i].op == Op::input) continue;
    const auto size = static_cast<std::size_t>(nodes[i].shape.rows * nodes[i].shape.cols);
    offset[i] = shared_size;
    shared_size += size;
    if (reduction[i]) partial_offset[i] = partial_size, partial_size += size;
  }
  shared_storage.assign(shared_size, T(0));
  pair_products();
  assign_batch_slots(chunk);

  const int threads = std::max(1, options.threads);
  if (options.chunk_rows > 0)
    chunk_rows = static_cast<std::size_t>(options.chunk_rows);
  else {  // a chunk's buffers should fit in about 256 KiB, the private L2 of most cores or a good part of it
    const std::size_t bytes_per_row = std::max<std::size_t>(1, arena_width) * sizeof(T);
    chunk_rows = std::clamp<std::size_t>((256u << 10) / bytes_per_row, 8, 512) / 8 * 8;
  }
  arenas.assign(static_cast<std::size_t>(threads), std::vector<T>(whole_batch ? 0 : arena_width * chunk_rows));
  partials.assign(static_cast<std::size_t>(threads), std::vector<T>(partial_size));
  if (threads > 1) pool = std::make_unique<detail::ThreadPool>(threads);
  bound.assign(tape.inputs().size(), MatrixView<const T>{});
  outputs.assign(tape.outputs().size(), Matrix<T>());
}

// A product and the next step's product with the same weight (a value and its
// tangent, which jvp emits side by side) are run together when a chunk has one
// row: the weight is then read from cache once instead of twice, and at one row
// reading the weight is what a product costs.
template <class T>
void Program<T>::Impl::pair_products() {
  paired.assign(chunk.size(), false);
  auto weight = [&](NodeId b) {  // the matrix actually read: W for an absorbed Wᵀ
    return absorbed[static_cast<std::size_t>(b)] ? tape.node(b).a : b;
  };
  for (std::size_t s = 0; s + 1 < chunk.size(); ++s) {
    const Node& x = tape.node(chunk[s]);
    const Node& y = tape.node(chunk[s + 1]);
    const bool ok =
        x.op == Op::matmul && y.op == Op::matmul && x.shape == y.shape &&
        kind[static_cast<std::size_t>(chunk[s])] == Kind::batch && kind[static_cast<std::size_t>(x.a)] == Kind::batch &&
        kind[static_cast<std::size_t>(y.a)] == Kind::batch && y.a != chunk[s] &&
        absorbed[static_cast<std::size_t>(x.b)] == absorbed[static_cast<std::size_t>(y.b)] &&
        weight(x.b) == weight(y.b) && tape.node(x.a).shape == tape.node(y.a).shape && (s == 0 || !paired[s - 1]);
    paired[s] = ok;
  }
}

// Buffers of batch nodes: a slot of `cols` columns in the arena, taken when the
// node is computed and given back after its last use, for a later node of the
// same width. Outputs keep theirs to the end of the chunk, to be copied out.
template <class T>
void Program<T>::Impl::assign_batch_slots(const std::vector<NodeId>& steps) {
  const std::size_t n = tape.nodes().size();
  auto storage_of = [&](NodeId a) {  // a fused transpose reads its argument's buffer
    return kind[static_cast<std::size_t>(a)] == Kind::fused ? tape.node(a).a : a;
  };
  std::vector<std::size_t> last_use(n, 0);
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const Node& node = tape.node(steps[s]);
    const std::size_t until =
        s < paired.size() && paired[s] ? s + 1 : s;  // a paired step's arguments live through its partner
    for (NodeId arg : {node.a, node.b})
      if (arg != no_node) last_use[static_cast<std::size_t>(storage_of(arg))] = until;
  }
  for (const Output& out : tape.outputs()) last_use[static_cast<std::size_t>(out.node)] = steps.size();
  std::vector<std::pair<std::size_t, std::size_t>> free_slots;  // (cols, offset)
  arena_width = 0;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const auto i = static_cast<std::size_t>(steps[s]);
    if (kind[i] != Kind::batch) continue;
    const auto cols = static_cast<std::size_t>(tape.nodes()[i].shape.cols);
    auto it = std::find_if(free_slots.begin(), free_slots.end(), [&](auto& f) { return f.first == cols; });
    if (it != free_slots.end())
      offset[i] = it->second, free_slots.erase(it);
    else
      offset[i] = arena_width, arena_width += cols;
    const Node& node = tape.nodes()[i];
    const Node& partner = s > 0 && s - 1 < paired.size() && paired[s - 1] ? tape.node(steps[s - 1]) : node;
    for (NodeId arg : {node.a, node.b, partner.a, partner.b}) {  // a paired step's arguments die with its partner
      if (arg == no_node) continue;
      const auto src = static_cast<std::size_t>(storage_of(arg));
      if (kind[src] == Kind::batch && tape.nodes()[src].op != Op::input && !absorbed[src] && last_use[src] == s &&
          std::none_of(free_slots.begin(), free_slots.end(), [&](auto& f) { return f.second == offset[src]; }))
        free_slots.emplace_back(static_cast<std::size_t>(tape.nodes()[src].shape.cols), offset[src]);
    }
  }
}

template <class T>
const T* Program<T>::Impl::value(NodeId id, const Context& cx) const {
  const Node& node = tape.node(id);
  const auto i = static_cast<std::size_t>(id);
  if (node.op == Op::input) {
    const T* p = bound[static_cast<std::size_t>(node.begin)].data;
    return kind[i] == Kind::batch ? p + cx.r0 * static_cast<std::size_t>(node.shape.cols) : p;
  }
  if (kind[i] == Kind::batch) return cx.arena + offset[i] * cx.rows;
  if (kind[i] == Kind::fused) return value(node.a, cx);
  return shared_storage.data() + offset[i];
}

template <class T>
T* Program<T>::Impl::result(NodeId id, const Context& cx, bool into_partial) {
  const auto i = static_cast<std::size_t>(id);
  if (reduction[i] && into_partial) return cx.partial + partial_offset[i];
  return const_cast<T*>(value(id, cx));
}

template <class T>
void Program<T>::Impl::exec(NodeId id, const Context& cx, bool into_partial) {
  const Node& node = tape.node(id);
  const bool simd = options.simd;
  const std::size_t rows = rows_of(id, cx);
  const auto cols = static_cast<std::size_t>(node.shape.cols);
  const std::size_t count = rows * cols;
  T* y = result(id, cx, into_partial);
  auto read = [&](NodeId arg) -> const T* {  // absorbed arguments are read through by the cases below
    const bool read_through = arg != no_node && absorbed[static_cast<std::size_t>(arg)] &&
                              (tape.node(arg).op != Op::transpose || !form_transposes);
    return arg == no_node || read_through ? nullptr : value(arg, cx);
  };
  const T* a = read(node.a);
  const T* b = read(node.b);
  const std::size_t a_rows = node.a == no_node ? 0 : rows_of(node.a, cx);
  const auto a_cols = node.a == no_node ? 0 : static_cast<std::size_t>(tape.node(node.a).shape.cols);
  auto total_rows = [&](Dim d) { return static_cast<T>(d == batch ? batch_rows : static_cast<std::size_t>(d)); };
  // clang-format off
  switch (node.op) {
    case Op::input:
      return;  // bound by the user, never a step
    case Op::fill:
      std::fill(y, y + count, static_cast<T>(node.value));
      break;
    case Op::neg: case Op::square: case Op::sqrt: case Op::exp: case Op::log: case Op::log1p:
    case Op::tanh: case Op::sigmoid: case Op::softplus: case Op::silu: case Op::sin: case Op::cos:
    case Op::pow: case Op::add_scalar: case Op::mul_scalar: case Op::relu: case Op::abs:
    case Op::step: case Op::sign:
      kernels::unary(node.op, a, y, count, static_cast<T>(node.value), simd);
      break;
    case Op::add: case Op::sub: case Op::mul: case Op::div:
      if (absorbed[static_cast<std::size_t>(node.a)] || absorbed[static_cast<std::size_t>(node.b)]) {
        // One operand is a row broadcast over the batch: read the row itself.
        auto row_of = [&](NodeId arg, const T* formed) {  // (pointer, step between rows)
          return absorbed[static_cast<std::size_t>(arg)] ? std::pair{value(tape.node(arg).a, cx), std::size_t(0)}
                                                         : std::pair{formed, cols};
        };
        const auto [pa, step_a] = row_of(node.a, a);
        const auto [pb, step_b] = row_of(node.b, b);
        for (std::size_t r = 0; r < rows; ++r)
          kernels::binary(node.op, pa + r * step_a, pb + r * step_b, y + r * cols, cols, simd);
      } else {
        kernels::binary(node.op, a, b, y, count, simd);
      }
      break;
    case Op::broadcast_rows: case Op::spread_rows: {
      const T scale = node.op == Op::spread_rows ? T(1) / total_rows(node.size) : T(1);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < cols; ++j) y[r * cols + j] = a[j] * scale;
      break;
    }
    case Op::broadcast_cols:
      for (std::size_t r = 0; r < rows; ++r) std::fill(y + r * cols, y + (r + 1) * cols, a[r]);
      break;
    case Op::sum_rows: case Op::mean_rows:
      if (into_partial && reduction[static_cast<std::size_t>(id)]) {
        kernels::sum_rows(a, y, a_rows, cols, true, simd);  // the mean's division comes after the merge
      } else {
        kernels::sum_rows(a, y, a_rows, cols, false, simd);
        if (node.op == Op::mean_rows) kernels::unary(Op::mul_scalar, y, y, cols, T(1) / total_rows(tape.node(node.a).shape.rows), simd);
      }
      break;
    case Op::sum_cols:
      kernels::sum_cols(a, y, rows, a_cols, simd);
      break;
    case Op::transpose:  // of a shared value (a batch one is fused into its product)
      if (absorbed[static_cast<std::size_t>(id)] && !form_transposes) return;
      for (std::size_t r = 0; r < a_rows; ++r)
        for (std::size_t j = 0; j < a_cols; ++j) y[j * a_rows + r] = a[r * a_cols + j];
      break;
    case Op::slice_cols:
      for (std::size_t r = 0; r < rows; ++r) std::copy_n(a + r * a_cols + node.begin, cols, y + r * cols);
      break;
    case Op::pad_cols:
      std::fill(y, y + count, T(0));
      for (std::size_t r = 0; r < rows; ++r) std::copy_n(a + r * a_cols, a_cols, y + r * cols + node.begin);
      break;
    case Op::concat_cols: {
      const std::size_t b_cols = cols - a_cols;
      for (std::size_t r = 0; r < rows; ++r) {
        std::copy_n(a + r * a_cols, a_cols, y + r * cols);
        std::copy_n(b + r * b_cols, b_cols, y + r * cols + a_cols);
      }
      break;
    }
    case Op::matmul: {
      const Node& left = tape.node(node.a);
      if (kind[static_cast<std::size_t>(node.a)] == Kind::fused) {
        // Xᵀ·Y over this chunk's rows: A(i, p) = X[p][i], a sum over the batch.
        const auto x_cols = static_cast<std::size_t>(tape.node(left.a).shape.cols);
        const bool accumulate = into_partial && reduction[static_cast<std::size_t>(id)];
        kernels::gemm(x_cols, cols, cx.rows, a, 1, x_cols, b, cols, 1, y, cols, accumulate, simd);
      } else if (absorbed[static_cast<std::size_t>(node.b)] && (!form_transposes || cols < narrow_product)) {
        // (Few output columns make the row-major kernel all tail: dot products are better then too.)
        // Y·Wᵀ reading W by rows: Wᵀ(p, j) = W[j][p].
        const T* w = value(tape.node(node.b).a, cx);
        kernels::gemm(rows, cols, a_cols, a, a_cols, 1, w, 1, a_cols, y, cols, false, simd);
      } else {
        kernels::gemm(rows, cols, a_cols, a, a_cols, 1, b, cols, 1, y, cols, false, simd);
      }
      break;
    }
  }
  // clang-format on
  if (options.check_finite)
    check_finite(id, y, rows, cols, kind[static_cast<std::size_t>(id)] == Kind::batch ? cx.r0 : 0);
}

template <class T>
void Program<T>::Impl::exec_pair(NodeId first, NodeId second, const Context& cx) {
  const Node& x = tape.node(first);
  const Node& y = tape.node(second);
  const auto cols = static_cast<std::size_t>(x.shape.cols), k = static_cast<std::size_t>(tape.node(x.a).shape.cols);
  const bool through = absorbed[static_cast<std::size_t>(x.b)] && (!form_transposes || cols < narrow_product);
  const T* b = through ? value(tape.node(x.b).a, cx) : value(x.b, cx);
  kernels::gemm_pair(cols, k, value(x.a, cx), value(y.a, cx), b, through ? std::size_t(1) : cols,
                     through ? k : std::size_t(1), result(first, cx, false), result(second, cx, false), options.simd);
  if (options.check_finite) {
    check_finite(first, result(first, cx, false), 1, cols, cx.r0);
    check_finite(second, result(second, cx, false), 1, cols, cx.r0);
  }
}

template <class T>
void Program<T>::Impl::check_finite(NodeId id, const T* y, std::size_t rows, std::size_t cols, std::size_t r0) const {
  for (std::size_t k = 0; k < rows * cols; ++k) {
    if (std::isfinite(y[k])) continue;
    const Node& node = tape.node(id);
    std::string from =
        node.origin.kind == Origin::primal
            ? ""
            : fmt::format(", {} of %{}", node.origin.kind == Origin::tangent ? "tangent" : "adjoint", node.origin.of);
    throw NonFiniteError(
        fmt::format("Program::run: node %{} ({}{}) produced {} at row {}, column {}; print the "
                    "tape (wengert::to_string) to see what feeds it",
                    id, op_name(node.op), from, std::isnan(y[k]) ? "NaN" : "Inf", r0 + k / cols, k % cols));
  }
}

template <class T>
void Program<T>::Impl::run() {
  // Check the inputs and find the batch size.
  std::size_t rows = 0;
  std::string rows_from;
  for (std::size_t k = 0; k < bound.size(); ++k) {
    const Input& in = tape.inputs()[k];
    if (bound[k].data == nullptr)
      throw UsageError(
          fmt::format("Program::run: input '{}' is not bound; call set(\"{}\", value) first", in.name, in.name));
    if (in.shape.rows != batch) continue;
    if (rows == 0)
      rows = bound[k].rows, rows_from = in.name;
    else if (bound[k].rows != rows)
      throw ShapeError(
          fmt::format("Program::run: input '{}' has {} rows but '{}' has {}; inputs with a row per "
                      "sample need the same number of rows",
                      in.name, bound[k].rows, rows_from, rows));
  }
  const bool has_batch = std::any_of(kind.begin(), kind.end(), [](Kind k) { return k != Kind::shared; });
  if (has_batch && rows == 0)
    throw UsageError("Program::run: the tape computes per-sample rows but has no input with a row per sample");
  if (rows != batch_rows || outputs.empty() || outputs[0].rows() == 0) {  // allocation only when the batch size changes
    batch_rows = rows;
    for (std::size_t k = 0; k < outputs.size(); ++k) {
      const Shape s = tape.node(tape.outputs()[k].node).shape;
      outputs[k] =
          Matrix<T>(s.rows == batch ? rows : static_cast<std::size_t>(s.rows), static_cast<std::size_t>(s.cols));
    }
    if (whole_batch) arenas[0].assign(arena_width * rows, T(0));
  }

  form_transposes = rows >= rows_to_form_transposes;
  Context shared_cx{arenas[0].data(), partials[0].data(), 0, 0};
  for (NodeId id : pre) exec(id, shared_cx, false);

  auto run_steps = [&](const Context& cx, bool into_partial) {
    for (std::size_t s = 0; s < chunk.size(); ++s) {
      if (cx.rows == 1 && paired[s]) {  // one row: the product and its partner together
        exec_pair(chunk[s], chunk[s + 1], cx);
        ++s;
      } else {
        exec(chunk[s], cx, into_partial);
      }
    }
  };
  auto copy_rows_out = [&](const Context& cx) {
    for (std::size_t k = 0; k < outputs.size(); ++k) {
      const NodeId id = tape.outputs()[k].node;
      if (kind[static_cast<std::size_t>(id)] != Kind::batch) continue;
      std::copy_n(value(id, cx), cx.rows * outputs[k].cols(), outputs[k].data() + cx.r0 * outputs[k].cols());
    }
  };
  if (whole_batch) {
    Context cx{arenas[0].data(), partials[0].data(), 0, rows};
    run_steps(cx, false);
    copy_rows_out(cx);
  } else if (rows > 0) {  // even with no steps: an output may be an input, copied out per chunk
    for (auto& p : partials) std::fill(p.begin(), p.end(), T(0));
    const std::size_t chunks = (rows + chunk_rows - 1) / chunk_rows;
    const auto threads = std::min<std::size_t>(arenas.size(), chunks);
    auto job = [&](int t) {
      for (std::size_t c = static_cast<std::size_t>(t); c < chunks; c += threads) {
        Context cx{arenas[static_cast<std::size_t>(t)].data(), partials[static_cast<std::size_t>(t)].data(),
                   c * chunk_rows, std::min(chunk_rows, rows - c * chunk_rows)};
        run_steps(cx, true);
        copy_rows_out(cx);
      }
    };
    if (threads <= 1 || !pool)
      job(0);
    else
      pool->run([&](int t) {
        if (static_cast<std::size_t>(t) < threads) job(t);
      });
    // Merge the partial sums of each reduction.
    for (NodeId id : chunk) {
      const auto i = static_cast<std::size_t>(id);
      if (!reduction[i]) continue;
      const Node& node = tape.node(id);
      const auto size = static_cast<std::size_t>(node.shape.rows * node.shape.cols);
      T* y = shared_storage.data() + offset[i];
      std::copy_n(partials[0].data() + partial_offset[i], size, y);
      for (std::size_t t = 1; t < threads; ++t)
        for (std::size_t e = 0; e < size; ++e) y[e] += partials[t][partial_offset[i] + e];
      if (node.op == Op::mean_rows && tape.node(node.a).shape.rows == batch)
        for (std::size_t e = 0; e < size; ++e) y[e] /= static_cast<T>(rows);
    }
  }
  for (NodeId id : post) exec(id, shared_cx, false);
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const NodeId id = tape.outputs()[k].node;
    if (kind[static_cast<std::size_t>(id)] == Kind::batch) continue;
    std::copy_n(value(id, shared_cx), outputs[k].rows() * outputs[k].cols(), outputs[k].data());
  }
}

template <class T>
Program<T>::Program(const Tape& tape, std::vector<std::string> outputs, ProgramOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (options.threads < 1 || options.threads > 256)
    throw UsageError(fmt::format("Program: threads = {}; use 1 to 256", options.threads));
  if (options.chunk_rows < 0)
    throw UsageError(
        fmt::format("Program: chunk_rows = {}; use a positive number, or 0 to choose", options.chunk_rows));
  impl_->tape = outputs.empty() ? eliminate_dead_code(tape) : select(tape, outputs);
  impl_->options = options;
  impl_->plan();
}

template <class T>
Program<T>::~Program() = default;
template <class T>
Program<T>::Program(Program&&) noexcept = default;
template <class T>
Program<T>& Program<T>::operator=(Program&&) noexcept = default;

template <class T>
void Program<T>::set(std::string_view input, MatrixView<const T> value) {
  const std::size_t k = impl_->tape.input_index(input);
  const Input& in = impl_->tape.inputs()[k];
  const auto cols = static_cast<std::size_t>(in.shape.cols);
  if (value.data == nullptr && value.rows * value.cols > 0)
    throw UsageError(fmt::format("Program::set: the value for '{}' has no data", input));
  if (in.shape.rows == batch) {
    if (value.cols != cols || value.rows == 0)
      throw ShapeError(
          fmt::format("Program::set: input '{}' takes one row per sample of {} columns; the value is {}x{}", input,
                      cols, value.rows, value.cols));
  } else if (value.rows != static_cast<std::size_t>(in.shape.rows) || value.cols != cols) {
    throw ShapeError(fmt::format("Program::set: input '{}' has shape {}; the value is {}x{}", input,
                                 to_string(in.shape), value.rows, value.cols));
  }
  impl_->bound[k] = value;
}

template <class T>
void Program<T>::run() {
  impl_->run();
}

template <class T>
MatrixView<const T> Program<T>::get(std::string_view output) const {
  const std::size_t k = impl_->tape.output_index(output);
  if (impl_->outputs[k].rows() == 0 && impl_->outputs[k].cols() == 0)
    throw UsageError(fmt::format("Program::get: '{}' has not been computed yet; call run() first", output));
  return impl_->outputs[k].view();
}

template <class T>
std::vector<Matrix<T>> Program<T>::operator()(const std::vector<std::pair<std::string, MatrixView<const T>>>& inputs) {
  for (const auto& [name, value] : inputs) set(name, value);
  run();
  return impl_->outputs;
}

template <class T>
const Tape& Program<T>::tape() const {
  return impl_->tape;
}

template <class T>
std::string Program<T>::describe() const {
  const Impl& p = *impl_;
  return fmt::format(
      "{} nodes ({} read through): {} once before the batch, {} per chunk of {} rows{}, {} after; "
      "arena {} columns ({} KiB per thread), {} thread(s), {}",
      p.tape.nodes().size(), std::count(p.absorbed.begin(), p.absorbed.end(), true), p.pre.size(), p.chunk.size(),
      p.chunk_rows, p.whole_batch ? " (whole batch: a batch value needs a reduction)" : "", p.post.size(),
      p.arena_width, p.arena_width * p.chunk_rows * sizeof(T) / 1024, p.arenas.size(),
      p.options.simd ? "SIMD kernels" : "scalar kernels");
}

template class Program<float>;
template class Program<double>;

}  // namespace wengert
