// XTrace and XNysTrace: exact where the sketch holds all of A, unbiased on an
// indefinite matrix with a truthful error bar, XNysTrace's refusal of an
// indefinite operator, a budget that runs out. The statistics against Hutch++
// are in xtrace_statistics_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <wengert/error.hpp>
#include <wengert/estimators/trace.hpp>

#include "support/spectra.hpp"

using namespace wengert;
using namespace wengert::estimators;
using namespace wengert::testing;

namespace {

double dot_rows(const Matrix<double>& a, std::size_t i, const Matrix<double>& b, std::size_t j) {
  double s = 0;
  for (std::size_t k = 0; k < a.cols(); ++k) s += a(i, k) * b(j, k);
  return s;
}

// The estimator as the paper writes it, without downdating: for each probe, a
// fresh orthonormal basis of the other probes' products, the trace of A on it,
// and the probe projected off it (rescaled to the n - m + 1 dimensions left).
TraceEstimate xtrace_by_definition(LinearOperator& a, std::size_t products, std::uint64_t seed) {
  const std::size_t n = a.size(), m = products / 2;
  const Matrix<double> omega = make_probes(Probe::gaussian, m, n, seed), y = a.apply(omega.view());
  std::vector<double> t(m);
  for (std::size_t i = 0; i < m; ++i) {
    Matrix<double> q(m - 1, n);  // Gram-Schmidt, twice, on the rows of y but row i
    for (std::size_t r = 0, j = 0; j < m; ++j) {
      if (j == i) continue;
      for (std::size_t k = 0; k < n; ++k) q(r, k) = y(j, k);
      for (int pass = 0; pass < 2; ++pass)
        for (std::size_t p = 0; p < r; ++p) {
          const double c = dot_rows(q, p, q, r);
          for (std::size_t k = 0; k < n; ++k) q(r, k) -= c * q(p, k);
        }
      const double norm = std::sqrt(dot_rows(q, r, q, r));
      for (std::size_t k = 0; k < n; ++k) q(r, k) /= norm;
      ++r;
    }
    const Matrix<double> aq = a.apply(q.view());
    Matrix<double> w(1, n);  // ω_i off the basis
    for (std::size_t k = 0; k < n; ++k) w(0, k) = omega(i, k);
    for (std::size_t p = 0; p + 1 < m; ++p) {
      const double c = dot_rows(q, p, omega, i);
      for (std::size_t k = 0; k < n; ++k) w(0, k) -= c * q(p, k);
    }
    const Matrix<double> aw = a.apply(w.view());
    t[i] = dot_rows(w, 0, aw, 0) * double(n - m + 1) / dot_rows(w, 0, w, 0);
    for (std::size_t p = 0; p + 1 < m; ++p) t[i] += dot_rows(q, p, aq, p);
  }
  double mean = 0, spread = 0;
  for (double e : t) mean += e / double(m);
  for (double e : t) spread += (e - mean) * (e - mean) / double(m - 1);
  return {mean, std::sqrt(spread / double(m)), products};
}

}  // namespace

TEST_CASE("XTrace by downdating one factorisation equals XTrace by its definition") {
  const std::size_t n = 40;
  std::vector<double> ev(n);
  for (std::size_t k = 0; k < n; ++k) ev[k] = (k % 3 ? 1.0 : -2.0) / double(k + 1);
  DenseOperator symmetric(matrix_with_spectrum(ev, 7));  // indefinite
  const Matrix<double> g = make_probes(Probe::gaussian, n, n, 8);
  FunctionOperator general(n, [&](MatrixView<const double> v) {  // not symmetric: v -> G v
    Matrix<double> out(v.rows, n);
    for (std::size_t r = 0; r < v.rows; ++r)
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < n; ++k) out(r, i) += g(i, k) * v(r, k);
    return out;
  });
  for (LinearOperator* a : {static_cast<LinearOperator*>(&symmetric), static_cast<LinearOperator*>(&general)})
    for (std::size_t products : {6u, 20u, 50u}) {
      CAPTURE(products);
      const TraceEstimate fast = xtrace(*a, products, 9), slow = xtrace_by_definition(*a, products, 9);
      CHECK(fast.value == doctest::Approx(slow.value).epsilon(1e-10));
      CHECK(fast.standard_error == doctest::Approx(slow.standard_error).epsilon(1e-8));
    }
}

TEST_CASE("XTrace is exact where A is flat off its sketch, and where the sketch holds all of A") {
  DenseOperator identity(matrix_with_spectrum(std::vector<double>(50, 2.0), 1));
  const TraceEstimate flat = xtrace(identity, 10, 3);
  CHECK(flat.value == doctest::Approx(100).epsilon(1e-12));
  CHECK(flat.products == 10);
  std::vector<double> low_rank(60, 0.0);
  for (std::size_t k = 0; k < 5; ++k) low_rank[k] = 1.0 + double(k);
  DenseOperator a(matrix_with_spectrum(low_rank, 2));
  const TraceEstimate e = xtrace(a, 20, 4);  // 10 probes, rank 5
  CHECK(e.value == doctest::Approx(15).epsilon(1e-9));
  CHECK(e.standard_error == 0);
}

TEST_CASE("XTrace is unbiased on an indefinite matrix, with a truthful standard error") {
  std::vector<double> ev(80);
  for (std::size_t k = 0; k < 80; ++k) ev[k] = (k % 2 ? -1.0 : 1.0) * std::exp(-double(k) / 15);
  DenseOperator a(matrix_with_spectrum(ev, 5));
  const double trace = sum(ev);
  double mean = 0, variance = 0, reported = 0;
  const int trials = 400;
  std::vector<double> values;
  for (int t = 0; t < trials; ++t) {
    const TraceEstimate e = xtrace(a, 20, std::uint64_t(t), Probe::rademacher);
    values.push_back(e.value);
    mean += e.value / trials;
    reported += e.standard_error * e.standard_error / trials;
  }
  for (double v : values) variance += (v - mean) * (v - mean) / (trials - 1);
  MESSAGE("XTrace, 20 products: mean ", mean, " (trace ", trace, "), spread ", std::sqrt(variance),
          ", mean reported error ", std::sqrt(reported));
  CHECK(std::abs(mean - trace) <= 4 * std::sqrt(variance / trials));
  CHECK(std::sqrt(reported) == doctest::Approx(std::sqrt(variance)).epsilon(0.5));
}

TEST_CASE("XNysTrace is exact on a semi-definite matrix of rank below its probes") {
  std::vector<double> low_rank(60, 0.0);
  for (std::size_t k = 0; k < 5; ++k) low_rank[k] = 1.0 + double(k);
  DenseOperator a(matrix_with_spectrum(low_rank, 2));
  CHECK(xnystrace(a, 10, 4).value == doctest::Approx(15).epsilon(1e-6));
}

TEST_CASE("XNysTrace refuses an indefinite operator, and xtrace a budget too small") {
  std::vector<double> ev(40, 1.0);
  ev[3] = -2;
  DenseOperator a(matrix_with_spectrum(ev, 7));
  CHECK_THROWS_WITH_AS(xnystrace(a, 20, 1), doctest::Contains("not positive semi-definite"), UsageError);
  CHECK_THROWS_WITH_AS(xtrace(a, 3, 1), doctest::Contains("at least 4"), UsageError);
}

TEST_CASE("an adaptive estimate that runs out of budget says so") {
  const std::vector<double> decaying = spectrum(200, exponential);
  DenseOperator a(matrix_with_spectrum(decaying, 11));
  const TraceEstimate e = hutchinson_until(a, {.relative = 1e-4, .max_products = 64}, 1);
  CHECK(!e.met_tolerance);
  CHECK(e.products <= 64);
  CHECK_THROWS_WITH_AS(xtrace_until(a, {}, 1), doctest::Contains("give a positive absolute or relative tolerance"),
                       UsageError);
}
