// Numbers without tapes: gradients, Hessian-vector products, Hessians and
// Laplacians of a scalar function, with the derived tapes and programs built
// once and cached.
//
//   wengert::Derivatives<double> d(phi, "x");
//   auto g = d.gradient({{"x", x}, {"W1", w1}, ...});   // (B, d)
//   auto hv = d.hvp({{"x", x}, ...}, v);                // (B, d): H(x_i) v_i per row
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/program.hpp"
#include "wengert/tape.hpp"

namespace wengert {

/// Named values for a tape's inputs (views: they must outlive the call).
template <class T>
using Inputs = std::vector<std::pair<std::string, MatrixView<const T>>>;

/// Derivatives of a tape's scalar-per-row output with respect to the data input x.
template <class T>
class Derivatives {
 public:
  /// `x` names an input with a row per sample; `output` may be empty when the
  /// tape has one output, which must have one column.
  Derivatives(const Tape& phi, std::string x = "x", std::string output = {}, ProgramOptions options = {});
  ~Derivatives();
  Derivatives(Derivatives&&) noexcept;  ///< moves the cached tapes and programs

  /// phi per row: (B, 1).
  Matrix<T> value(const Inputs<T>& inputs);
  /// ∇x phi per row: (B, d).
  Matrix<T> gradient(const Inputs<T>& inputs);
  /// H(x_i) v_i per row: (B, d). Cost: a small multiple of one evaluation.
  Matrix<T> hvp(const Inputs<T>& inputs, MatrixView<const T> v);
  /// The dense Hessian of every row, d HVPs in one run: (B·d, d), row block i is H(x_i).
  Matrix<T> hessian(const Inputs<T>& inputs);
  /// The exact Laplacian tr H(x_i) per row: (B, 1), by the forward Laplacian
  /// (one sweep of about d + 2 evaluations, see ad.hpp).
  Matrix<T> laplacian(const Inputs<T>& inputs);

  const Tape& gradient_tape() const;  ///< grad(phi, {x}): the tape gradient() runs
  const Tape& hvp_tape() const;       ///< hvp(phi, x): the tape hvp() and hessian() run

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

extern template class Derivatives<float>;
extern template class Derivatives<double>;

}  // namespace wengert
