// Trace estimators: exactness where it is promised, unbiasedness and variance
// against theory over many seeded trials, Hutch++'s advantage, Laplacians of an
// MLP potential, and bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <wengert/estimators/trace.hpp>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::estimators;
using namespace wengert::testing;

namespace {

Matrix<double> random_symmetric(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<double> a(n, n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j <= i; ++j) a(i, j) = a(j, i) = normal(rng);
  return a;
}

double trace_of(const Matrix<double>& a) {
  double t = 0;
  for (std::size_t i = 0; i < a.rows(); ++i) t += a(i, i);
  return t;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST_CASE("the exact trace is the sum of the diagonal") {
  Matrix<double> a = random_symmetric(40, 1);
  DenseOperator op(a);
  TraceEstimate t = exact_trace(op);
  CHECK(t.value == doctest::Approx(trace_of(a)).epsilon(1e-14));
  CHECK(t.standard_error == 0);
  CHECK(t.products == 40);
}

TEST_CASE("Hutchinson is unbiased, with the variance theory predicts and a truthful standard error") {
  const std::size_t n = 20, m = 10, trials = 4000;
  Matrix<double> a = random_symmetric(n, 2);
  double frobenius2 = 0, diagonal2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    diagonal2 += a(i, i) * a(i, i);
    for (std::size_t j = 0; j < n; ++j) frobenius2 += a(i, j) * a(i, j);
  }
  DenseOperator op(a);
  for (Probe kind : {Probe::gaussian, Probe::rademacher}) {
    CAPTURE(kind == Probe::gaussian ? "gaussian" : "rademacher");
    const double theory = (kind == Probe::gaussian ? 2 * frobenius2 : 2 * (frobenius2 - diagonal2)) / double(m);
    double sum = 0, sum2 = 0, reported2 = 0;
    for (std::size_t t = 0; t < trials; ++t) {
      TraceEstimate e = hutchinson(op, kind, m, 100 + t);
      sum += e.value;
      sum2 += e.value * e.value;
      reported2 += e.standard_error * e.standard_error;
    }
    const double mean = sum / trials, variance = (sum2 - trials * mean * mean) / (trials - 1);
    CHECK(std::abs(mean - trace_of(a)) <= 4 * std::sqrt(theory / trials));  // unbiased
    CHECK(variance == doctest::Approx(theory).epsilon(0.12));               // the variance of the estimator
    CHECK(reported2 / trials == doctest::Approx(theory).epsilon(0.12));     // its reported error, squared, on average
  }
}

TEST_CASE("one Rademacher probe is exact on a diagonal matrix") {
  Matrix<double> a(30, 30);
  for (std::size_t i = 0; i < 30; ++i) a(i, i) = std::sin(double(i)) + 2.0;
  DenseOperator op(a);
  CHECK(hutchinson(op, Probe::rademacher, 1, 7).value == doctest::Approx(trace_of(a)).epsilon(1e-14));
}

TEST_CASE("probes are reproducible and can be shared between estimates") {
  DenseOperator op(random_symmetric(15, 3));
  CHECK(hutchinson(op, Probe::gaussian, 5, 42).value == hutchinson(op, Probe::gaussian, 5, 42).value);
  CHECK(hutchinson(op, Probe::gaussian, 5, 42).value != hutchinson(op, Probe::gaussian, 5, 43).value);
  Matrix<double> probes = make_probes(Probe::sphere, 6, 15, 9);
  for (std::size_t k = 0; k < 6; ++k) {
    double norm = 0;
    for (std::size_t j = 0; j < 15; ++j) norm += probes(k, j) * probes(k, j);
    CHECK(norm == doctest::Approx(15.0));
  }
  CHECK(hutchinson(op, probes.view()).value == hutchinson(op, probes.view()).value);
}

TEST_CASE("Hutch++ beats Hutchinson by 5x at 60 products on a fast-decaying spectrum") {
  const std::size_t n = 500, products = 60, trials = 15;
  std::vector<double> eigenvalues(n);
  for (std::size_t k = 0; k < n; ++k) eigenvalues[k] = 1.0 / double((k + 1) * (k + 1));
  Matrix<double> a = matrix_with_spectrum(eigenvalues, 4);
  double trace = 0;
  for (double l : eigenvalues) trace += l;
  DenseOperator op(a);
  std::vector<double> plain, plus;
  for (std::size_t t = 0; t < trials; ++t) {
    plain.push_back(std::abs(hutchinson(op, Probe::rademacher, products, 200 + t).value - trace) / trace);
    TraceEstimate e = hutch_plus_plus(op, products, 300 + t);
    CHECK(e.products == products);
    plus.push_back(std::abs(e.value - trace) / trace);
  }
  MESSAGE("median relative error: Hutchinson ", median(plain), ", Hutch++ ", median(plus));
  CHECK(median(plain) >= 5 * median(plus));
}

TEST_CASE("the Laplacian of an MLP potential: Hutchinson within its error of the exact value") {
  Tape phi = mlp_tape(6, 16, [](Var a) { return tanh(a); });
  std::mt19937_64 rng(5);
  Values at = random_inputs(phi, 4, rng);
  Inputs<double> in;
  for (auto& [name, m] : at) in.emplace_back(name, m.view());
  HessianBatch batch(phi, "x");
  std::vector<TraceEstimate> exact = batch.exact(in), estimated = batch.hutchinson(in, Probe::rademacher, 400, 11);
  for (std::size_t r = 0; r < 4; ++r) {
    CAPTURE(r);
    CHECK(std::abs(estimated[r].value - exact[r].value) <= 4 * estimated[r].standard_error);
    CHECK(estimated[r].standard_error > 0);
  }
  // One point at a time, through the operator: the same exact value.
  Inputs<double> one;
  Matrix<double> first(1, 6);
  for (std::size_t j = 0; j < 6; ++j) first(0, j) = at["x"](0, j);
  for (auto& [name, m] : at)
    if (name != "x") one.emplace_back(name, m.view());
  one.emplace_back("x", first.view());
  HessianOperator h(phi, "x", one);
  CHECK(exact_trace(h).value == doctest::Approx(exact[0].value).epsilon(1e-12));
  TraceEstimate e = hutchinson(h, Probe::gaussian, 400, 12);
  CHECK(std::abs(e.value - exact[0].value) <= 4 * e.standard_error);
}

TEST_CASE("bad input throws with the fix") {
  DenseOperator op(random_symmetric(4, 6));
  CHECK_THROWS_WITH_AS(hutchinson(op, Probe::gaussian, 0, 1), doctest::Contains("m = 0"), UsageError);
  CHECK_THROWS_AS(hutch_plus_plus(op, 3, 1), UsageError);
  CHECK_THROWS_AS(DenseOperator(Matrix<double>(3, 4)), ShapeError);
  FunctionOperator short_product(4, [](MatrixView<const double> v) { return Matrix<double>(v.rows, 3); });
  CHECK_THROWS_WITH_AS(hutchinson(short_product, Probe::gaussian, 2, 1), doctest::Contains("returned 2x3 products"),
                       ShapeError);
  FunctionOperator nan_product(4, [](MatrixView<const double> v) { return Matrix<double>(v.rows, 4, NAN); });
  CHECK_THROWS_WITH_AS(exact_trace(nan_product), doctest::Contains("non-finite"), NonFiniteError);
}
