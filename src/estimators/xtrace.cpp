// XTrace and XNysTrace (Epperly, Tropp & Webber, SIAM J. Matrix Anal. Appl. 2024):
// every probe serves both the low-rank sketch and the estimate of what the
// sketch misses. With probes ω_1..ω_m and Y = A Ω, leaving ω_i out of the sketch
// gives an estimate whose sketch is independent of ω_i:
//     t_i = tr(sketch without ω_i) + ω_iᵀ (what it misses) ω_i,
// unbiased for tr(A); their mean is the estimate and their spread its error bar.
// The m leave-one-out sketches come from one factorisation by downdating.
#include <cmath>
#include <fmt/format.h>

#include "estimators/shared.hpp"
#include "support/cholesky.hpp"
#include "wengert/error.hpp"

namespace wengert::estimators {

using detail::mean_of, detail::products, detail::row_dot;

namespace {

// Y's rows as Y = R ᵀ Q in row terms: y_i = Σ_{j ≤ i} R(j, i) q_j, with orthonormal
// rows q_j (Gram-Schmidt, twice). Returns false if a row depends on the earlier ones.
bool thin_qr(const Matrix<double>& y, Matrix<double>& q, Matrix<double>& r) {
  const std::size_t m = y.rows(), n = y.cols();
  q = y;
  r = Matrix<double>(m, m);
  double scale = 0;
  for (std::size_t i = 0; i < m * n; ++i) scale = std::max(scale, std::abs(y.data()[i]));
  for (std::size_t i = 0; i < m; ++i) {
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t j = 0; j < i; ++j) {
        const double c = row_dot(q, j, q, i);
        r(j, i) += c;
        for (std::size_t k = 0; k < n; ++k) q(i, k) -= c * q(j, k);
      }
    const double norm = std::sqrt(row_dot(q, i, q, i));
    if (!(norm > 1e-10 * scale * std::sqrt(double(n)))) return false;
    r(i, i) = norm;
    for (std::size_t k = 0; k < n; ++k) q(i, k) /= norm;
  }
  return true;
}

// The inverse of an upper-triangular matrix, by back substitution.
Matrix<double> inverse_upper(const Matrix<double>& r) {
  const std::size_t m = r.rows();
  Matrix<double> inv(m, m);
  for (std::size_t col = 0; col < m; ++col) {
    for (std::size_t i = col + 1; i-- > 0;) {
      double s = i == col ? 1.0 : 0.0;
      for (std::size_t k = i + 1; k <= col; ++k) s -= r(i, k) * inv(k, col);
      inv(i, col) = s / r(i, i);
    }
  }
  return inv;
}

// out = Σ_j c_j row_j(basis)
std::vector<double> combine_rows(const Matrix<double>& basis, const std::vector<double>& c) {
  std::vector<double> out(basis.cols(), 0.0);
  for (std::size_t j = 0; j < basis.rows(); ++j)
    for (std::size_t k = 0; k < basis.cols(); ++k) out[k] += c[j] * basis(j, k);
  return out;
}

void check_budget(const char* function, std::size_t products, std::size_t least) {
  if (products < least)
    throw UsageError(
        fmt::format("{}: {} products; it needs at least {} (probes in pairs for xtrace)", function, products, least));
}

}  // namespace

TraceEstimate xtrace(LinearOperator& a, std::size_t budget, std::uint64_t seed, Probe kind) {
  check_budget("xtrace", budget, 4);
  const std::size_t n = a.size(), m = budget / 2;
  const bool rotation_invariant = kind != Probe::rademacher;
  const Matrix<double> omega = make_probes(kind, m, n, seed);
  const Matrix<double> y = products("xtrace", a, omega.view());
  Matrix<double> q, r;
  if (!thin_qr(y, q, r)) {
    // A's range has fewer than m dimensions and the probes' products span it: the
    // sketch holds all of A, and its trace is exact.
    const Matrix<double> basis = detail::orthonormal_rows(y), z = products("xtrace", a, basis.view());
    double trace = 0;
    for (std::size_t j = 0; j < basis.rows(); ++j) trace += row_dot(basis, j, z, j);
    return {trace, 0.0, m + basis.rows()};
  }
  const Matrix<double> z = products("xtrace", a, q.view());  // rows A q_j
  Matrix<double> h(m, m);                                    // Qᵀ A Q
  double top = 0;
  for (std::size_t j = 0; j < m; ++j) {
    for (std::size_t k = 0; k < m; ++k) h(j, k) = row_dot(q, j, z, k);
    top += h(j, j);
  }
  // s_i: column i of R^-T, normalised. Q_(i) Q_(i)ᵀ = Q (I - s_i s_iᵀ) Qᵀ is the
  // projection on the sketch without probe i.
  const Matrix<double> r_inv = inverse_upper(r);
  std::vector<double> estimates(m);
  for (std::size_t i = 0; i < m; ++i) {
    std::vector<double> s(m);
    double norm = 0;
    for (std::size_t j = 0; j < m; ++j) norm += r_inv(i, j) * r_inv(i, j);  // row i of R^-1 = column i of R^-T
    for (std::size_t j = 0; j < m; ++j) s[j] = r_inv(i, j) / std::sqrt(norm);
    double shs = 0;
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t k = 0; k < m; ++k) shs += s[j] * h(j, k) * s[k];
    // P ω_i = ω_i - Q c with c = (I - s sᵀ) Qᵀ ω_i, and A P ω_i = A ω_i - Z c.
    std::vector<double> c(m);
    double sc = 0;
    for (std::size_t j = 0; j < m; ++j) sc += s[j] * (c[j] = row_dot(q, j, omega, i));
    for (std::size_t j = 0; j < m; ++j) c[j] -= sc * s[j];
    const std::vector<double> qc = combine_rows(q, c), zc = combine_rows(z, c);
    double residual = 0, length2 = 0;
    for (std::size_t k = 0; k < n; ++k) {
      residual += (omega(i, k) - qc[k]) * (y(i, k) - zc[k]);
      length2 += (omega(i, k) - qc[k]) * (omega(i, k) - qc[k]);
    }
    // A Gaussian probe projected off the sketch points uniformly in the n - m + 1
    // dimensions left: rescaled to that length it estimates their trace with far
    // less variance (exactly where A is flat there), still without bias.
    if (rotation_invariant) residual *= double(n - m + 1) / length2;
    estimates[i] = top - shs + residual;
  }
  return mean_of(estimates, 2 * m);
}

TraceEstimate xnystrace(LinearOperator& a, std::size_t budget, std::uint64_t seed, Probe kind) {
  check_budget("xnystrace", budget, 2);
  const std::size_t n = a.size(), m = budget;
  if (m >= n) return exact_trace(a);  // as many products as the basis: the trace itself
  const Matrix<double> omega = make_probes(kind, m, n, seed);
  Matrix<double> y = products("xnystrace", a, omega.view());
  // The Nyström approximation Â = Y M⁻¹ Yᵀ with M = Ωᵀ A Ω (m x m), inverted by
  // its Cholesky factor: a negative pivot means A is not positive semi-definite.
  // A is shifted by nu I (far below its scale, above rounding) so that a
  // semi-definite A of rank below m still factors; nu n comes off the trace.
  double largest = 0;
  for (std::size_t i = 0; i < m; ++i) largest = std::max(largest, std::abs(row_dot(omega, i, y, i)));
  const double nu = 1e-10 * largest / double(n);
  for (std::size_t i = 0; i < m * n; ++i) y.data()[i] += nu * omega.data()[i];
  Matrix<double> mm(m, m);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < m; ++j) mm(i, j) = 0.5 * (row_dot(omega, i, y, j) + row_dot(omega, j, y, i));
  Matrix<double> l;
  if (const auto bad = wengert::detail::cholesky(mm, l))
    throw UsageError(
        fmt::format("xnystrace: Ωᵀ A Ω has a pivot {:.3g} (largest diagonal {:.3g}): the operator is not positive "
                    "semi-definite; use xtrace",
                    bad->value, largest));
  // W = L⁻¹ (lower triangular), so M⁻¹ = Wᵀ W, and F = Y Wᵀ: Â = F Fᵀ. Working with F
  // rather than M⁻¹ keeps a rank-deficient A accurate: M⁻¹'s null-space entries are
  // of order 1/nu, F's of order sqrt(A)'s.
  Matrix<double> w(m, m);
  for (std::size_t col = 0; col < m; ++col)
    for (std::size_t i = col; i < m; ++i) {
      double s = i == col ? 1.0 : 0.0;
      for (std::size_t k = col; k < i; ++k) s -= l(i, k) * w(k, col);
      w(i, col) = s / l(i, i);
    }
  Matrix<double> f(n, m);  // F's rows: f_r = W y_r (y_r the r-th entries of the products)
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t k = 0; k <= i; ++k)
      for (std::size_t r = 0; r < n; ++r) f(r, i) += w(i, k) * y(k, r);
  double trace_nystrom = 0;  // ‖F‖²
  for (std::size_t i = 0; i < n * m; ++i) trace_nystrom += f.data()[i] * f.data()[i];
  // Leaving ω_i out, with g_i = M⁻¹ e_i = Wᵀ w_i (w_i the i-th column of W) and G_ii = ‖w_i‖²:
  //   Â_(i) = Â - (Y g_i)(Y g_i)ᵀ / G_ii, Y g_i = F w_i, and ω_iᵀ (A - Â_(i)) ω_i = 1 / G_ii.
  std::vector<double> estimates(m);
  for (std::size_t i = 0; i < m; ++i) {
    double g_ii = 0;
    for (std::size_t k = i; k < m; ++k) g_ii += w(k, i) * w(k, i);
    double norm2 = 0;  // ‖F w_i‖² / ‖w_i‖²: F along a unit vector
    for (std::size_t r = 0; r < n; ++r) {
      double fw = 0;
      for (std::size_t k = i; k < m; ++k) fw += f(r, k) * w(k, i);
      norm2 += fw * fw;
    }
    estimates[i] = trace_nystrom - norm2 / g_ii + 1 / g_ii - nu * double(n);
  }
  return mean_of(estimates, m);
}

}  // namespace wengert::estimators
