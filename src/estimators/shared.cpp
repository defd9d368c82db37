// The linear algebra every estimator shares: checked products, dot products of
// rows, the mean with its standard error, orthonormal rows.
#include "estimators/shared.hpp"

#include <cmath>
#include <limits>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::estimators::detail {

// The operator's products of the rows of v, checked: shape and finiteness.
Matrix<double> products(const char* function, LinearOperator& a, MatrixView<const double> v) {
  Matrix<double> y = a.apply(v);
  if (y.rows() != v.rows || y.cols() != a.size())
    throw ShapeError(
        fmt::format("{}: the operator returned {}x{} products for {} vectors of length {}; it must "
                    "return one row A·v per row v",
                    function, y.rows(), y.cols(), v.rows, a.size()));
  for (std::size_t i = 0; i < y.rows() * y.cols(); ++i)
    if (!std::isfinite(y.data()[i]))
      throw NonFiniteError(fmt::format("{}: the product of vector {} has a non-finite entry ({}) in column {}",
                                       function, i / y.cols(), y.data()[i], i % y.cols()));
  return y;
}

double row_dot(const Matrix<double>& a, std::size_t i, const Matrix<double>& b, std::size_t j) {
  double s = 0;
  for (std::size_t c = 0; c < a.cols(); ++c) s += a(i, c) * b(j, c);
  return s;
}

// Mean and standard error of the mean.
TraceEstimate mean_of(const std::vector<double>& samples, std::size_t products_used) {
  const double m = static_cast<double>(samples.size());
  double mean = 0, sq = 0;
  for (double s : samples) mean += s;
  mean /= m;
  for (double s : samples) sq += (s - mean) * (s - mean);
  const double se = samples.size() > 1 ? std::sqrt(sq / (m - 1) / m) : std::numeric_limits<double>::infinity();
  return {mean, se, products_used};
}

// Orthonormal rows spanning the rows of y (Gram-Schmidt, twice for stability);
// rows that are numerically dependent are dropped.
Matrix<double> orthonormal_rows(const Matrix<double>& y) {
  std::vector<std::vector<double>> basis;
  double scale = 0;
  for (std::size_t i = 0; i < y.rows() * y.cols(); ++i) scale = std::max(scale, std::abs(y.data()[i]));
  for (std::size_t i = 0; i < y.rows(); ++i) {
    std::vector<double> q(y.data() + i * y.cols(), y.data() + (i + 1) * y.cols());
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& b : basis) {
        double dot = 0;
        for (std::size_t c = 0; c < q.size(); ++c) dot += b[c] * q[c];
        for (std::size_t c = 0; c < q.size(); ++c) q[c] -= dot * b[c];
      }
    double norm = 0;
    for (double e : q) norm += e * e;
    norm = std::sqrt(norm);
    if (norm <= 1e-12 * scale * std::sqrt(double(q.size())) || norm == 0) continue;
    for (double& e : q) e /= norm;
    basis.push_back(std::move(q));
  }
  Matrix<double> out(basis.size(), y.cols());
  for (std::size_t i = 0; i < basis.size(); ++i)
    for (std::size_t c = 0; c < y.cols(); ++c) out(i, c) = basis[i][c];
  return out;
}

}  // namespace wengert::estimators::detail
