// The executor's face: a tape planned once into a program, then run many times.
// Planning is in planning.cpp (a sequence of named passes, see plan.hpp), the
// run in run.cpp, one step of it in step.cpp; the kernels in src/kernels/.
#include "wengert/program.hpp"

#include <fmt/format.h>

#include "exec/runner.hpp"
#include "kernels/targets.hpp"
#include "tape/index.hpp"
#include "wengert/error.hpp"
#include "wengert/passes.hpp"

namespace wengert {

template <class T>
struct Program<T>::Impl {
  detail::Runner<T> runner;
  ProgramOptions options;
};

namespace {

constexpr int max_threads = 256, max_chunk_rows = 1 << 16;

void check_options(const ProgramOptions& options) {
  if (options.threads < 1 || options.threads > max_threads)
    throw UsageError(fmt::format("Program: threads = {}; use 1 to {}", options.threads, max_threads));
  if (options.chunk_rows < 0 || options.chunk_rows > max_chunk_rows)
    throw UsageError(
        fmt::format("Program: chunk_rows = {}; use 1 to {}, or 0 to choose", options.chunk_rows, max_chunk_rows));
}

}  // namespace

template <class T>
Program<T>::Program(const Tape& tape, std::vector<std::string> outputs, ProgramOptions options) {
  check_options(options);
  if (options.simd) kernels::active_target();  // decided here, on the caller's thread: a bad WENGERT_SIMD throws here
  Tape needed = outputs.empty() ? eliminate_dead_code(tape) : select(tape, outputs);
  impl_ = std::make_unique<Impl>(
      Impl{detail::Runner<T>(detail::make_plan(std::move(needed), options, sizeof(T)), options), options});
}

template <class T>
Program<T>::~Program() = default;
template <class T>
Program<T>::Program(Program&&) noexcept = default;
template <class T>
Program<T>& Program<T>::operator=(Program&&) noexcept = default;

template <class T>
void Program<T>::set(std::string_view input, MatrixView<const T> value) {
  const Tape& tape = impl_->runner.plan().tape;
  const std::size_t k = tape.input_index(input);
  const Input& in = tape.inputs()[k];
  const std::size_t cols = detail::count_of(in.shape.cols);
  if (value.data == nullptr && value.rows * value.cols > 0)
    throw UsageError(fmt::format("Program::set: the value for '{}' has no data", input));
  if (in.shape.rows == batch) {
    if (value.cols != cols || value.rows == 0)
      throw ShapeError(
          fmt::format("Program::set: input '{}' takes one row per sample of {} columns; the value is {}x{}", input,
                      cols, value.rows, value.cols));
  } else if (value.rows != detail::count_of(in.shape.rows) || value.cols != cols) {
    throw ShapeError(fmt::format("Program::set: input '{}' has shape {}; the value is {}x{}", input,
                                 to_string(in.shape), value.rows, value.cols));
  }
  impl_->runner.bind(k, value);
}

template <class T>
void Program<T>::run() {
  impl_->runner.run();
}

template <class T>
MatrixView<const T> Program<T>::get(std::string_view output) const {
  const Matrix<T>& out = impl_->runner.output(impl_->runner.plan().tape.output_index(output));
  if (out.rows() == 0 && out.cols() == 0)
    throw UsageError(fmt::format("Program::get: '{}' has not been computed yet; call run() first", output));
  return out.view();
}

template <class T>
std::vector<Matrix<T>> Program<T>::operator()(const std::vector<std::pair<std::string, MatrixView<const T>>>& inputs) {
  for (const auto& [name, value] : inputs) set(name, value);
  run();
  std::vector<Matrix<T>> outputs;
  for (std::size_t k = 0; k < impl_->runner.plan().tape.outputs().size(); ++k)
    outputs.push_back(impl_->runner.output(k));
  return outputs;
}

template <class T>
const Tape& Program<T>::tape() const {
  return impl_->runner.plan().tape;
}

template <class T>
std::string Program<T>::describe() const {
  return detail::describe(impl_->runner.plan(), sizeof(T), impl_->options.threads, impl_->options.simd);
}

template <class T>
std::string Program<T>::profile() const {
  if (!impl_->options.profile)
    throw UsageError("Program::profile: this program was planned without ProgramOptions::profile = true");
  return detail::profile_text(impl_->runner.plan(), impl_->runner.step_seconds(), impl_->runner.profiled_runs());
}

template <class T>
void Program<T>::reset_profile() {
  if (impl_->options.profile) impl_->runner.reset_profile();
}

template class Program<float>;
template class Program<double>;

}  // namespace wengert
