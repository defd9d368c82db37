// The executor: a tape planned once into a program, then run many times.
//
//   wengert::Program<double> p(hvp_tape, {"x_bar_dot"});
//   p.set("x", x); p.set("x_dot", v);     // bind inputs (no copy)
//   p.run();                              // no allocation at a fixed batch size
//   auto hv = p.get("x_bar_dot");
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/tape.hpp"

namespace wengert {

/// How a program runs: threads, chunks, checks, SIMD.
struct ProgramOptions {
  int threads = 1;            ///< threads the batch's row chunks are spread over
  int chunk_rows = 0;         ///< rows per chunk; 0 picks a cache-sized chunk
  bool check_finite = false;  ///< throw NonFiniteError naming the first node with NaN/Inf
  bool simd = true;           ///< false runs the scalar twins of every kernel (for tests)
  bool profile = false;       ///< time every step of every run (Program::profile); a clock read per step
  /// Run each chain of element-wise steps (with the row sums in it and the sums
  /// over the batch after it) as one group, a few rows at a time, so that what one
  /// step writes the next reads from L1, and have a layer's product add its bias
  /// row as it stores (the same bits as step by step).
  bool fuse = true;
};

/// A planned tape for element type T (float or double).
template <class T>
class Program {
 public:
  /// Plans the given outputs (all of the tape's outputs when empty).
  explicit Program(const Tape& tape, std::vector<std::string> outputs = {}, ProgramOptions options = {});
  ~Program();
  Program(Program&&) noexcept;             ///< moves the plan and its buffers
  Program& operator=(Program&&) noexcept;  ///< moves the plan and its buffers

  /// Binds an input by name. The view must stay valid until run() returns.
  /// Throws UsageError for an unknown name, ShapeError for a wrong shape.
  void set(std::string_view input, MatrixView<const T> value);
  /// A temporary matrix would be gone before run(): refused at compile time.
  void set(std::string_view input, Matrix<T>&& value) = delete;
  /// Runs on the bound inputs. Throws UsageError naming a missing input.
  void run();
  /// An output of the last run, valid until the next run.
  MatrixView<const T> get(std::string_view output) const;

  /// Binds, runs and copies every planned output, in order.
  std::vector<Matrix<T>> operator()(const std::vector<std::pair<std::string, MatrixView<const T>>>& inputs);

  /// The planned tape (after dead-code elimination).
  const Tape& tape() const;
  /// A summary of the plan: steps, storage, chunks, threads.
  std::string describe() const;
  /// With ProgramOptions::profile: the plan's steps in order, each with its op, shape,
  /// time per run and share of the time, summed over the runs since the last reset.
  /// Throws UsageError for a program planned without profile.
  std::string profile() const;
  /// Starts the profile afresh.
  void reset_profile();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

extern template class Program<float>;
extern template class Program<double>;

}  // namespace wengert
