// Spectra the estimator tests draw test matrices from (estimators::matrix_with_spectrum).
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

namespace wengert::testing {

/// n eigenvalues, the k-th (from 0) given by `eigenvalue`.
inline std::vector<double> spectrum(std::size_t n, double (*eigenvalue)(std::size_t k)) {
  std::vector<double> ev(n);
  for (std::size_t k = 0; k < n; ++k) ev[k] = eigenvalue(k);
  return ev;
}
inline double algebraic(std::size_t k) { return 1.0 / double((k + 1) * (k + 1)); }  ///< k⁻² (from k = 1)
inline double exponential(std::size_t k) { return std::exp(-double(k) / 10); }      ///< e^(-k/10)

/// The sum of the entries: the trace of a matrix with these eigenvalues.
inline double sum(const std::vector<double>& v) {
  double s = 0;
  for (double e : v) s += e;
  return s;
}

}  // namespace wengert::testing
