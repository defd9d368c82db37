// Trace estimators. Each takes products from the operator in one batched call
// per stage, checks what comes back, and reports its own standard error.
#include "wengert/estimators/trace.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <fmt/format.h>

#include "estimators/shared.hpp"
#include "support/names.hpp"
#include "wengert/error.hpp"

namespace wengert::estimators {

using detail::mean_of, detail::orthonormal_rows, detail::products, detail::row_dot;

DenseOperator::DenseOperator(Matrix<double> a) : a_(std::move(a)) {
  if (a_.rows() != a_.cols() || a_.rows() == 0)
    throw ShapeError(
        fmt::format("DenseOperator: the matrix is {}x{}; it must be square and not empty", a_.rows(), a_.cols()));
}

Matrix<double> DenseOperator::apply(MatrixView<const double> v) {
  if (v.cols != a_.rows())
    throw ShapeError(
        fmt::format("DenseOperator::apply: vectors of length {} for a {}x{} matrix", v.cols, a_.rows(), a_.rows()));
  Matrix<double> y(v.rows, a_.rows());
  for (std::size_t k = 0; k < v.rows; ++k)
    for (std::size_t i = 0; i < a_.rows(); ++i) {
      double s = 0;
      for (std::size_t j = 0; j < a_.cols(); ++j) s += a_(i, j) * v(k, j);
      y(k, i) = s;
    }
  return y;
}

namespace {
constexpr wengert::detail::Names<Probe, 3> probes{
    "probe", {{{Probe::gaussian, "gaussian"}, {Probe::rademacher, "rademacher"}, {Probe::sphere, "sphere"}}}};
}  // namespace

std::string to_string(Probe probe) { return probes.name(probe); }
Probe probe_from(const std::string& name) { return probes.parse(name); }

Matrix<double> make_probes(Probe kind, std::size_t m, std::size_t n, std::uint64_t seed) {
  if (m == 0 || n == 0)
    throw UsageError(fmt::format("make_probes: {} probes of length {}; both must be positive", m, n));
  std::mt19937_64 rng(seed);
  Matrix<double> v(m, n);
  if (kind == Probe::rademacher) {  // the top bit of each draw: 1 is +1, 0 is -1 (no branch: it would miss half the time)
    for (double& e : std::span<double>(v.data(), m * n)) e = double(2 * int(rng() >> 63) - 1);
    return v;
  }
  std::normal_distribution<double> normal(0.0, 1.0);
  for (std::size_t k = 0; k < m; ++k) {
    for (std::size_t j = 0; j < n; ++j) v(k, j) = normal(rng);
    if (kind == Probe::sphere) {  // a Gaussian direction scaled to length √n, so that E[vvᵀ] = I
      double norm = 0;
      for (std::size_t j = 0; j < n; ++j) norm += v(k, j) * v(k, j);
      const double scale = std::sqrt(double(n) / norm);
      for (std::size_t j = 0; j < n; ++j) v(k, j) *= scale;
    }
  }
  return v;
}

Matrix<double> matrix_with_spectrum(const std::vector<double>& eigenvalues, std::uint64_t seed) {
  const std::size_t n = eigenvalues.size();
  Matrix<double> u = orthonormal_rows(make_probes(Probe::gaussian, n, n, seed)), a(n, n);
  if (u.rows() != n) throw Error("matrix_with_spectrum: the random basis came out rank-deficient; try another seed");
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t i = 0; i < n; ++i) {
      const double s = eigenvalues[k] * u(k, i);
      for (std::size_t j = 0; j < n; ++j) a(i, j) += s * u(k, j);
    }
  return a;
}

TraceEstimate exact_trace(LinearOperator& a) {
  const std::size_t n = a.size();
  Matrix<double> basis(n, n);
  for (std::size_t i = 0; i < n; ++i) basis(i, i) = 1;
  Matrix<double> y = products("exact_trace", a, basis);
  double trace = 0;
  for (std::size_t i = 0; i < n; ++i) trace += y(i, i);
  return {trace, 0.0, n};
}

TraceEstimate hutchinson(LinearOperator& a, MatrixView<const double> probes) {
  if (probes.rows == 0) throw UsageError("hutchinson: no probes; use at least 1 (2 for a standard error)");
  if (probes.cols != a.size())
    throw ShapeError(fmt::format("hutchinson: probes of length {} for an operator of size {}", probes.cols, a.size()));
  Matrix<double> v = to_matrix(probes);
  Matrix<double> y = products("hutchinson", a, probes);
  std::vector<double> samples(v.rows());
  for (std::size_t k = 0; k < v.rows(); ++k) samples[k] = row_dot(v, k, y, k);  // vᵀAv
  return mean_of(samples, v.rows());
}

TraceEstimate hutchinson(LinearOperator& a, Probe kind, std::size_t m, std::uint64_t seed) {
  if (m == 0) throw UsageError("hutchinson: m = 0 probes; use at least 1 (2 for a standard error)");
  return hutchinson(a, make_probes(kind, m, a.size(), seed).view());
}

TraceEstimate hutch_plus_plus(LinearOperator& a, std::size_t budget, std::uint64_t seed, Probe kind,
                              double sketch_fraction) {
  if (!(sketch_fraction > 0 && sketch_fraction < 0.5))
    throw UsageError(
        fmt::format("hutch_plus_plus: sketch_fraction = {}; it must be in (0, 0.5): the sketch and the "
                    "projection each take that share of the products",
                    sketch_fraction));
  const auto k = static_cast<std::size_t>(std::lround(sketch_fraction * double(budget)));
  if (budget < 4 || k < 1 || budget < 2 * k + 2)
    throw UsageError(
        fmt::format("hutch_plus_plus: {} products cannot be split into a sketch, its projection and at "
                    "least 2 residual probes; use at least 4",
                    budget));
  const std::size_t n = a.size();
  // 1. A sketch of the range of A: Q, orthonormal rows spanning A·S.
  Matrix<double> q = orthonormal_rows(products("hutch_plus_plus", a, make_probes(kind, k, n, seed).view()));
  // 2. The trace on that subspace, exactly: Σ qᵢᵀ A qᵢ.
  Matrix<double> aq = products("hutch_plus_plus", a, q.view());
  double top = 0;
  for (std::size_t i = 0; i < q.rows(); ++i) top += row_dot(q, i, aq, i);
  // 3. Hutchinson on the rest, with probes projected off the subspace: g' = (I - QQᵀ) g.
  const std::size_t residual = budget - 2 * k;
  Matrix<double> g = make_probes(kind, residual, n, seed ^ 0x9E3779B97F4A7C15ull);
  for (std::size_t r = 0; r < residual; ++r)
    for (std::size_t i = 0; i < q.rows(); ++i) {
      const double c = row_dot(q, i, g, r);
      for (std::size_t j = 0; j < n; ++j) g(r, j) -= c * q(i, j);
    }
  TraceEstimate rest = hutchinson(a, g.view());
  return {top + rest.value, rest.standard_error, k + q.rows() + residual};
}

// ---- Hessians from tapes ----------------------------------------------------

namespace {
// Owned copies of the inputs, with each row of the data inputs repeated `times` times.
std::vector<Matrix<double>> stacked_inputs(const Tape& phi, const Inputs<double>& at, std::size_t times) {
  std::vector<Matrix<double>> out;
  for (const auto& [name, value] : at) {
    const bool per_row = phi.has_input(name) && phi.inputs()[phi.input_index(name)].shape.rows == batch;
    out.push_back(per_row ? repeat_rows(value, times) : to_matrix(value));
  }
  return out;
}

Inputs<double> views_of(const Inputs<double>& names, const std::vector<Matrix<double>>& values) {
  Inputs<double> in;
  for (std::size_t k = 0; k < values.size(); ++k) in.emplace_back(names[k].first, values[k].view());
  return in;
}
}  // namespace

struct HessianOperator::Impl {
  Tape phi;
  Derivatives<double> derivatives;
  Inputs<double> names;  // the names of `at`; the views point into `point`
  std::vector<Matrix<double>> point;
  std::size_t n = 0;
  Impl(const Tape& f, const std::string& x, ProgramOptions options) : phi(f), derivatives(f, x, {}, options) {}
};

HessianOperator::HessianOperator(const Tape& phi, const std::string& x, const Inputs<double>& at,
                                 ProgramOptions options)
    : impl_(std::make_unique<Impl>(phi, x, options)) {
  impl_->names = at;
  impl_->point = stacked_inputs(phi, at, 1);
  impl_->n = static_cast<std::size_t>(phi.inputs()[phi.input_index(x)].shape.cols);
  for (std::size_t k = 0; k < at.size(); ++k)
    if (at[k].first == x && at[k].second.rows != 1)
      throw ShapeError(
          fmt::format("HessianOperator: '{}' has {} rows; one point has one row (use HessianBatch for many)", x,
                      at[k].second.rows));
}
HessianOperator::~HessianOperator() = default;
std::size_t HessianOperator::size() const { return impl_->n; }

Matrix<double> HessianOperator::apply(MatrixView<const double> v) {
  if (v.cols != impl_->n)
    throw ShapeError(
        fmt::format("HessianOperator::apply: vectors of length {} for a Hessian of size {}", v.cols, impl_->n));
  const Inputs<double> point = views_of(impl_->names, impl_->point);
  std::vector<Matrix<double>> repeated = stacked_inputs(impl_->phi, point, v.rows);
  return impl_->derivatives.hvp(views_of(impl_->names, repeated), v);
}

struct HessianBatch::Impl {
  Tape phi;
  std::string x;
  Derivatives<double> derivatives;
  Impl(const Tape& f, const std::string& name, ProgramOptions options)
      : phi(f), x(name), derivatives(f, name, {}, options) {}
};

HessianBatch::HessianBatch(const Tape& phi, const std::string& x, ProgramOptions options)
    : impl_(std::make_unique<Impl>(phi, x, options)) {}
HessianBatch::~HessianBatch() = default;

std::vector<TraceEstimate> HessianBatch::exact(const Inputs<double>& inputs) {
  Matrix<double> lap = impl_->derivatives.laplacian(inputs);
  const auto d = static_cast<std::size_t>(impl_->phi.inputs()[impl_->phi.input_index(impl_->x)].shape.cols);
  std::vector<TraceEstimate> out;
  for (std::size_t r = 0; r < lap.rows(); ++r) out.push_back({lap(r, 0), 0.0, d});
  return out;
}

std::vector<TraceEstimate> HessianBatch::hutchinson(const Inputs<double>& inputs, Probe kind, std::size_t m,
                                                    std::uint64_t seed) {
  if (m == 0) throw UsageError("HessianBatch::hutchinson: m = 0 probes; use at least 1 (2 for a standard error)");
  std::size_t rows = 0;
  for (const auto& [name, value] : inputs)
    if (name == impl_->x) rows = value.rows;
  if (rows == 0) throw UsageError(fmt::format("HessianBatch::hutchinson: no value given for '{}'", impl_->x));
  const auto d = static_cast<std::size_t>(impl_->phi.inputs()[impl_->phi.input_index(impl_->x)].shape.cols);
  std::vector<Matrix<double>> repeated = stacked_inputs(impl_->phi, inputs, m);
  Matrix<double> probes = make_probes(kind, rows * m, d, seed);  // rows of sample i: i·m … i·m + m - 1
  Matrix<double> hv = impl_->derivatives.hvp(views_of(inputs, repeated), probes.view());
  std::vector<TraceEstimate> out;
  std::vector<double> samples(m);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t k = 0; k < m; ++k) samples[k] = row_dot(probes, i * m + k, hv, i * m + k);
    out.push_back(mean_of(samples, m));
  }
  return out;
}

}  // namespace wengert::estimators
