// The Gaussian case, where score matching has a closed form: the moments of
// data, the moments of a quadratic potential's density exp(-phi), and samples
// of the Gaussian fitted to data (a reference any model should beat).
#pragma once

#include <cstdint>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/nn/potential.hpp"

namespace wengert::score {

/// A mean and a covariance.
struct Moments {
  std::vector<double> mean;   ///< d entries
  Matrix<double> covariance;  ///< d x d
};

/// The mean and covariance (divided by the number of rows) of the rows of data.
Moments sample_moments(const Matrix<double>& data);

/// The mean mu and covariance (L Lᵀ)⁻¹ of exp(-phi) for a quadratic potential
/// ½(x - mu)ᵀ L Lᵀ (x - mu). Exact score matching on data has its optimum where
/// these equal the data's sample moments. Throws UsageError for another kind of
/// potential, NonFiniteError when L Lᵀ is singular.
Moments quadratic_moments(const nn::Potential& phi, const std::vector<double>& theta);

/// The largest absolute difference between the entries of two moments.
struct MomentGap {
  double mean = 0;        ///< over the mean's entries
  double covariance = 0;  ///< over the covariance's entries
};
MomentGap moment_gap(const Moments& a, const Moments& b);  ///< throws ShapeError for different dimensions

/// n samples of the Gaussian with the mean and covariance of `data`.
Matrix<double> fitted_gaussian(const Matrix<double>& data, std::size_t n, std::uint64_t seed);

}  // namespace wengert::score
