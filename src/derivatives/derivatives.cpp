// Convenience, a layer above the executor: numbers from the tapes of chapters
// 1-4, with the derived tapes and their programs built once, on first use, and kept.
#include "wengert/derivatives.hpp"

#include <algorithm>
#include <optional>
#include <fmt/format.h>

#include "ad/transform.hpp"
#include "wengert/ad.hpp"
#include "wengert/error.hpp"

namespace wengert {

template <class T>
struct Derivatives<T>::Impl {
  Tape phi;
  std::string x, output;
  ProgramOptions options;
  std::optional<Tape> grad_tape, hvp_tape;
  std::optional<Program<T>> value_program, grad_program, hvp_program, laplacian_program;
  // The stacked inputs of hessian(): each sample row repeated d times.
  std::vector<Matrix<T>> stacked;
  Matrix<T> basis;

  const Tape& gradient_tape() {
    if (!grad_tape) grad_tape = grad(phi, {x}, output);
    return *grad_tape;
  }
  const Tape& the_hvp_tape() {
    if (!hvp_tape) hvp_tape = wengert::hvp(phi, x, output);
    return *hvp_tape;
  }

  static Matrix<T> run(Program<T>& p, const Inputs<T>& inputs, const std::string& out) {
    for (const auto& [name, value] : inputs)
      if (p.tape().has_input(name)) p.set(name, value);  // inputs this output does not need are ignored
    p.run();
    return to_matrix(p.get(out));
  }

  // H(x_i) e_j for every sample i and basis vector e_j, as one batch of B·d rows.
  Matrix<T> hvp_basis(const Inputs<T>& inputs) {
    if (!hvp_program) hvp_program.emplace(the_hvp_tape(), std::vector<std::string>{x + "_bar_dot"}, options);
    const auto d = static_cast<std::size_t>(phi.inputs()[phi.input_index(x)].shape.cols);
    std::size_t rows = 0;
    for (const auto& [name, value] : inputs)
      if (name == x) rows = value.rows;
    if (rows == 0) throw UsageError(fmt::format("Derivatives::hessian: no value given for '{}'", x));
    stacked.resize(inputs.size());
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      const auto& [name, value] = inputs[k];
      if (!hvp_program->tape().has_input(name)) continue;
      if (phi.inputs()[phi.input_index(name)].shape.rows != batch) {
        hvp_program->set(name, value);
        continue;
      }
      stacked[k] = repeat_rows(value, d);
      hvp_program->set(name, stacked[k].view());
    }
    if (basis.rows() != rows * d) {
      basis = Matrix<T>(rows * d, d);
      for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < d; ++j) basis(i * d + j, j) = T(1);
    }
    hvp_program->set(x + "_dot", basis.view());
    hvp_program->run();
    return to_matrix(hvp_program->get(x + "_bar_dot"));
  }
};

template <class T>
Derivatives<T>::Derivatives(const Tape& phi, std::string x, std::string output, ProgramOptions options)
    : impl_(std::make_unique<Impl>()) {
  const Input& in = phi.inputs()[phi.input_index(x)];
  if (in.shape.rows != batch)
    throw UsageError(
        fmt::format("Derivatives: input '{}' is a {}; differentiate with respect to an input with "
                    "a row per sample (Recorder::data)",
                    x, in.role == Role::parameter ? "parameter" : "constant"));
  const Output& y = detail::scalar_output("Derivatives", phi, output);
  const Shape s = phi.node(y.node).shape;
  if (s.rows != batch)
    throw ShapeError(fmt::format("Derivatives: output '{}' has shape {}; it must be one value per sample, (B, 1)",
                                 y.name, to_string(s)));
  output = y.name;
  impl_->phi = phi;
  impl_->x = std::move(x);
  impl_->output = std::move(output);
  impl_->options = options;
}

template <class T>
Derivatives<T>::~Derivatives() = default;
template <class T>
Derivatives<T>::Derivatives(Derivatives&&) noexcept = default;

template <class T>
Matrix<T> Derivatives<T>::value(const Inputs<T>& inputs) {
  Impl& p = *impl_;
  if (!p.value_program) p.value_program.emplace(p.phi, std::vector<std::string>{p.output}, p.options);
  return Impl::run(*p.value_program, inputs, p.output);
}

template <class T>
Matrix<T> Derivatives<T>::gradient(const Inputs<T>& inputs) {
  Impl& p = *impl_;
  if (!p.grad_program) p.grad_program.emplace(p.gradient_tape(), std::vector<std::string>{p.x + "_bar"}, p.options);
  return Impl::run(*p.grad_program, inputs, p.x + "_bar");
}

template <class T>
Matrix<T> Derivatives<T>::hvp(const Inputs<T>& inputs, MatrixView<const T> v) {
  Impl& p = *impl_;
  if (!p.hvp_program) p.hvp_program.emplace(p.the_hvp_tape(), std::vector<std::string>{p.x + "_bar_dot"}, p.options);
  p.hvp_program->set(p.x + "_dot", v);
  return Impl::run(*p.hvp_program, inputs, p.x + "_bar_dot");
}

template <class T>
Matrix<T> Derivatives<T>::hessian(const Inputs<T>& inputs) {
  return impl_->hvp_basis(inputs);
}

template <class T>
Matrix<T> Derivatives<T>::laplacian(const Inputs<T>& inputs) {
  Impl& p = *impl_;  // the forward Laplacian (src/ad/laplacian.cpp): one sweep, not d HVPs
  const std::string out = p.x + "_laplacian";
  if (!p.laplacian_program)
    p.laplacian_program.emplace(wengert::laplacian(p.phi, p.x, p.output), std::vector<std::string>{out}, p.options);
  return Impl::run(*p.laplacian_program, inputs, out);
}

template <class T>
const Tape& Derivatives<T>::gradient_tape() const {
  return impl_->gradient_tape();
}

template <class T>
const Tape& Derivatives<T>::hvp_tape() const {
  return impl_->the_hvp_tape();
}

template class Derivatives<float>;
template class Derivatives<double>;

}  // namespace wengert
