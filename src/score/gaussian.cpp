// Moments of data and of a quadratic potential, by a Cholesky factorisation
// (the matrices here are d x d with d small: plain loops are clear and enough).
#include "wengert/score/gaussian.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <fmt/format.h>

#include "support/cholesky.hpp"
#include "wengert/error.hpp"

namespace wengert::score {

namespace {

// The lower-triangular C with C Cᵀ = a, for a symmetric positive definite a.
// A pivot that is not positive (a singular a) is reported to `who`.
Matrix<double> cholesky(const Matrix<double>& a, const char* who) {
  Matrix<double> c;
  if (const auto bad = detail::cholesky(a, c))
    throw NonFiniteError(
        fmt::format("{}: the matrix is not positive definite (pivot {} is {})", who, bad->index, bad->value));
  return c;
}

// a⁻¹ from its Cholesky factor C: column by column, C y = e_j, then Cᵀ x = y.
Matrix<double> inverse_from_cholesky(const Matrix<double>& c) {
  const std::size_t d = c.rows();
  Matrix<double> inverse(d, d);
  std::vector<double> y(d);
  for (std::size_t j = 0; j < d; ++j) {
    for (std::size_t i = 0; i < d; ++i) {
      double s = i == j ? 1.0 : 0.0;
      for (std::size_t k = 0; k < i; ++k) s -= c(i, k) * y[k];
      y[i] = s / c(i, i);
    }
    for (std::size_t i = d; i-- > 0;) {
      double s = y[i];
      for (std::size_t k = i + 1; k < d; ++k) s -= c(k, i) * inverse(k, j);
      inverse(i, j) = s / c(i, i);
    }
  }
  return inverse;
}

}  // namespace

Moments sample_moments(const Matrix<double>& data) {
  const std::size_t d = data.cols(), rows = data.rows();
  if (rows == 0) throw UsageError("sample_moments: the data has no rows");
  Moments m{std::vector<double>(d, 0.0), Matrix<double>(d, d)};
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < d; ++j) m.mean[j] += data(i, j) / double(rows);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t a = 0; a < d; ++a)
      for (std::size_t b = 0; b < d; ++b)
        m.covariance(a, b) += (data(i, a) - m.mean[a]) * (data(i, b) - m.mean[b]) / double(rows);
  return m;
}

Moments quadratic_moments(const nn::Potential& phi, const std::vector<double>& theta) {
  if (phi.kind != "quadratic")
    throw UsageError(fmt::format("quadratic_moments: the potential is a {}, not a quadratic", phi.kind));
  if (theta.size() != phi.parameter_count())
    throw ShapeError(fmt::format("quadratic_moments: theta has {} entries; the potential has {} parameters",
                                 theta.size(), phi.parameter_count()));
  const auto d = static_cast<std::size_t>(phi.dim());
  Moments m{std::vector<double>(d), Matrix<double>(d, d)};
  Matrix<double> l(d, d), precision(d, d);
  for (const nn::Block& b : phi.blocks) {
    if (b.name == "mu") std::copy_n(theta.begin() + std::ptrdiff_t(b.offset), d, m.mean.begin());
    if (b.name == "L") std::copy_n(theta.begin() + std::ptrdiff_t(b.offset), d * d, l.data());
  }
  for (std::size_t a = 0; a < d; ++a)
    for (std::size_t b = 0; b < d; ++b)
      for (std::size_t k = 0; k < d; ++k) precision(a, b) += l(a, k) * l(b, k);
  m.covariance = inverse_from_cholesky(cholesky(precision, "quadratic_moments: L Lᵀ"));
  return m;
}

MomentGap moment_gap(const Moments& a, const Moments& b) {
  if (a.mean.size() != b.mean.size())
    throw ShapeError(fmt::format("moment_gap: dimensions {} and {}", a.mean.size(), b.mean.size()));
  MomentGap gap;
  for (std::size_t i = 0; i < a.mean.size(); ++i) {
    gap.mean = std::max(gap.mean, std::abs(a.mean[i] - b.mean[i]));
    for (std::size_t j = 0; j < a.mean.size(); ++j)
      gap.covariance = std::max(gap.covariance, std::abs(a.covariance(i, j) - b.covariance(i, j)));
  }
  return gap;
}

Matrix<double> fitted_gaussian(const Matrix<double>& data, std::size_t n, std::uint64_t seed) {
  Moments m = sample_moments(data);
  const std::size_t d = data.cols();
  // Data on a subspace (a constant column) has a singular covariance: a jitter far
  // below any scale of the data keeps the factorisation defined.
  double largest = 0;
  for (std::size_t a = 0; a < d; ++a) largest = std::max(largest, m.covariance(a, a));
  for (std::size_t a = 0; a < d; ++a) m.covariance(a, a) += 1e-12 * largest + 1e-300;
  const Matrix<double> c = cholesky(m.covariance, "fitted_gaussian: the data's covariance");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<double> out(n, d);
  std::vector<double> z(d);
  for (std::size_t i = 0; i < n; ++i) {
    for (double& e : z) e = normal(rng);
    for (std::size_t a = 0; a < d; ++a) {
      double v = m.mean[a];
      for (std::size_t k = 0; k <= a; ++k) v += c(a, k) * z[k];
      out(i, a) = v;
    }
  }
  return out;
}

}  // namespace wengert::score
