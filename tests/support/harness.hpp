// The test harness: random inputs, running a tape into named matrices, and
// central finite differences of a tape's outputs, the reference every
// derivative is checked against.
#pragma once

#include <cmath>
#include <map>
#include <random>
#include <string>

#include <wengert/wengert.hpp>

namespace wengert::testing {

using Values = std::map<std::string, Matrix<double>>;

inline Matrix<double> random_matrix(std::size_t rows, std::size_t cols, std::mt19937_64& rng, double lo = -1,
                                    double hi = 1) {
  std::uniform_real_distribution<double> u(lo, hi);
  Matrix<double> m(rows, cols);
  for (std::size_t i = 0; i < rows * cols; ++i) m.data()[i] = u(rng);
  return m;
}

/// A value for every input of f: `rows` rows for data inputs.
inline Values random_inputs(const Tape& f, std::size_t rows, std::mt19937_64& rng, double lo = -1, double hi = 1) {
  Values v;
  for (const Input& in : f.inputs()) {
    const std::size_t r = in.shape.rows == batch ? rows : static_cast<std::size_t>(in.shape.rows);
    v[in.name] = random_matrix(r, static_cast<std::size_t>(in.shape.cols), rng, lo, hi);
  }
  return v;
}

/// Runs every output of f on the inputs it has (extra values are ignored).
template <class T = double>
Values run(const Tape& f, const Values& inputs, ProgramOptions options = {}) {
  Program<T> p(f, {}, options);
  std::map<std::string, Matrix<T>> converted;
  for (const Input& in : f.inputs()) {
    const Matrix<double>& m = inputs.at(in.name);
    Matrix<T> c(m.rows(), m.cols());
    for (std::size_t i = 0; i < m.rows() * m.cols(); ++i) c.data()[i] = static_cast<T>(m.data()[i]);
    converted[in.name] = std::move(c);
  }
  for (const auto& [name, m] : converted) p.set(name, m.view());
  p.run();
  Values out;
  for (const Output& o : p.tape().outputs()) {
    auto view = p.get(o.name);
    Matrix<double> m(view.rows, view.cols);
    for (std::size_t i = 0; i < view.rows * view.cols; ++i) m.data()[i] = static_cast<double>(view.data[i]);
    out[o.name] = std::move(m);
  }
  return out;
}

/// Central differences of every output of f along `direction` (a matrix per
/// input name; inputs not named stay fixed): (f(x + h d) - f(x - h d)) / 2h.
inline Values finite_difference(const Tape& f, const Values& at, const Values& direction, double h = 1e-5) {
  Values plus = at, minus = at;
  for (const auto& [name, d] : direction) {
    for (std::size_t i = 0; i < d.rows() * d.cols(); ++i) {
      plus[name].data()[i] += h * d.data()[i];
      minus[name].data()[i] -= h * d.data()[i];
    }
  }
  Values fp = run(f, plus), fm = run(f, minus), out;
  for (auto& [name, m] : fp) {
    Matrix<double> diff(m.rows(), m.cols());
    for (std::size_t i = 0; i < m.rows() * m.cols(); ++i) diff.data()[i] = (m.data()[i] - fm[name].data()[i]) / (2 * h);
    out[name] = std::move(diff);
  }
  return out;
}

/// max |a - b| / (atol + rtol |b|) over the entries: <= 1 means close.
inline double closeness(const Matrix<double>& a, const Matrix<double>& b, double rtol, double atol) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
  double worst = 0;
  for (std::size_t i = 0; i < a.rows() * a.cols(); ++i) {
    const double err = std::abs(a.data()[i] - b.data()[i]) / (atol + rtol * std::abs(b.data()[i]));
    worst = std::isnan(err) ? INFINITY : std::max(worst, err);
  }
  return worst;
}

inline double frobenius_dot(const Matrix<double>& a, const Matrix<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.rows() * a.cols(); ++i) s += a.data()[i] * b.data()[i];
  return s;
}

/// A small MLP potential [d, h, h, 1] with the given activation, as a tape with
/// data input "x" and parameters W1, b1, W2, b2, W3.
template <class Activation>
Tape mlp_tape(Dim d, Dim h, Activation act) {
  Recorder rec;
  Var x = rec.data("x", d);
  Var w1 = rec.parameter("W1", d, h), b1 = rec.parameter("b1", 1, h);
  Var w2 = rec.parameter("W2", h, h), b2 = rec.parameter("b2", 1, h);
  Var w3 = rec.parameter("W3", h, 1);
  Var z = act(matmul(act(matmul(x, w1) + b1), w2) + b2);
  rec.output("phi", matmul(z, w3));
  return rec.finish();
}

}  // namespace wengert::testing
