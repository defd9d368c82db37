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
