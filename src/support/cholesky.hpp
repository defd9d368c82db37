// The Cholesky factor of a small symmetric matrix, in plain loops: the matrices
// here are a model's d x d moments or an estimator's m x m sketch, where clarity
// costs nothing measurable. Callers report a failed factorisation in their own
// words (what the matrix was, what to do instead).
#pragma once

#include <cmath>
#include <cstddef>
#include <optional>

#include "wengert/matrix.hpp"

namespace wengert::detail {

/// The first pivot of a factorisation that was not positive: its index and value.
struct BadPivot {
  std::size_t index;
  double value;
};

/// l = the lower-triangular L with L Lᵀ = a, for a symmetric a (its lower
/// triangle is read), row by row; or, where a pivot is not positive (a is not
/// positive definite, or holds NaN), that pivot, with l filled above it.
inline std::optional<BadPivot> cholesky(const Matrix<double>& a, Matrix<double>& l) {
  const std::size_t n = a.rows();
  l = Matrix<double>(n, n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j <= i; ++j) {
      double s = a(i, j);
      for (std::size_t k = 0; k < j; ++k) s -= l(i, k) * l(j, k);
      if (i == j && !(s > 0)) return BadPivot{i, s};
      l(i, j) = i == j ? std::sqrt(s) : s / l(j, j);
    }
  return std::nullopt;
}

}  // namespace wengert::detail
