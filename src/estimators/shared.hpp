// The linear algebra every trace estimator shares (trace.cpp, xtrace.cpp).
#pragma once

#include <vector>

#include "wengert/estimators/trace.hpp"

namespace wengert::estimators::detail {

/// The operator's products of the rows of v, checked: shape and finiteness.
Matrix<double> products(const char* function, LinearOperator& a, MatrixView<const double> v);
/// Row i of a dotted with row j of b.
double row_dot(const Matrix<double>& a, std::size_t i, const Matrix<double>& b, std::size_t j);
/// The mean of the samples and its standard error (∞ for one sample).
TraceEstimate mean_of(const std::vector<double>& samples, std::size_t products_used);
/// Orthonormal rows spanning the rows of y (Gram-Schmidt, twice); numerically dependent rows are dropped.
Matrix<double> orthonormal_rows(const Matrix<double>& y);

}  // namespace wengert::estimators::detail
