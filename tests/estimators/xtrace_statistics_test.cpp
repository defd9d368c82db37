// XTrace, XNysTrace and the adaptive estimators over hundreds of seeded trials:
// ahead of Hutch++ on decaying spectra at equal budgets, error bars that track
// the true error, tolerances met. Minutes under the sanitizers: suite 'slow'.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <wengert/error.hpp>
#include <wengert/estimators/trace.hpp>

#include "support/harness.hpp"
#include "support/spectra.hpp"

using namespace wengert;
using namespace wengert::estimators;
using namespace wengert::testing;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median relative errors of Hutch++ and of an estimator over seeded trials.
template <class Estimate>
std::pair<double, double> median_errors(LinearOperator& a, double trace, std::size_t budget, int trials,
                                        Estimate estimate) {
  std::vector<double> plus, other;
  for (int t = 0; t < trials; ++t) {
    plus.push_back(std::abs(hutch_plus_plus(a, budget, t).value - trace) / trace);
    other.push_back(std::abs(estimate(a, budget, std::uint64_t(t)).value - trace) / trace);
  }
  return {median(plus), median(other)};
}

}  // namespace

TEST_CASE("XTrace and XNysTrace beat Hutch++ on decaying spectra at 60 and 120 products") {
  const std::size_t n = 200;
  using Decay = double (*)(std::size_t);
  const std::pair<const char*, Decay> spectra[] = {{"k^-2", algebraic}, {"exp(-k/10)", exponential}};
  for (const auto& entry : spectra) {  // not a structured binding: clang 14 cannot capture one in CAPTURE's lambda
    const std::string name = entry.first;
    const Decay decay = entry.second;
    const std::vector<double> ev = spectrum(n, decay);
    DenseOperator a(matrix_with_spectrum(ev, 5));
    for (std::size_t budget : {60u, 120u}) {
      CAPTURE(name);
      CAPTURE(budget);
      auto [plus, x] = median_errors(
          a, sum(ev), budget, 100, [](LinearOperator& op, std::size_t b, std::uint64_t s) { return xtrace(op, b, s); });
      auto [plus2, nys] =
          median_errors(a, sum(ev), budget, 100,
                        [](LinearOperator& op, std::size_t b, std::uint64_t s) { return xnystrace(op, b, s); });
      MESSAGE(name, " at ", budget, " products: median relative error Hutch++ ", plus, ", XTrace ", x, " (", plus / x,
              "x), XNysTrace ", nys, " (", plus / nys, "x)");
      CHECK(x < plus / 1.25);  // measured 1.4-2.3x on k^-2, 1.7x and 5.2x on exp(-k/10)
      CHECK(nys < plus / 1.5);
    }
  }
}

TEST_CASE("XTrace beats Hutch++ on the Hessian of an MLP potential, indefinite and of low rank") {
  // phi = MLP [100, 64, 64, 1] tanh: its Hessian in x is W1ᵀ M W1 with M 64 x 64, so rank <= 64 of n = 100.
  const Tape phi = mlp_tape(100, 64, [](Var a) { return tanh(a); });
  std::mt19937_64 rng(12);
  Values at = random_inputs(phi, 1, rng, -0.3, 0.3);  // weights of this size keep tanh off saturation
  Inputs<double> in;
  for (auto& [name, m] : at) in.emplace_back(name, m.view());
  HessianOperator h(phi, "x", in);
  const double trace = exact_trace(h).value;
  for (std::size_t budget : {60u, 120u}) {
    CAPTURE(budget);
    auto [plus, x] = median_errors(h, trace, budget, 100,
                                   [](LinearOperator& op, std::size_t b, std::uint64_t s) { return xtrace(op, b, s); });
    MESSAGE("MLP [100, 64, 64, 1] Hessian at ", budget, " products: median relative error Hutch++ ", plus, ", XTrace ",
            x, " (", plus / x, "x)");
    // Measured 1.6x at 60 (a 30-vector sketch of a rank-64 Hessian) and 18x at 120 (60 vectors hold nearly all of it).
    CHECK(x < plus / (budget == 60 ? 1.25 : 5.0));
  }
}

TEST_CASE("XTrace's error estimate is as calibrated as the true standard deviation itself") {
  // "Within a factor 3 of the true error" is noisy even for a perfect error bar: with
  // a Gaussian error of deviation σ, P(σ/3 <= |error| <= 3σ) is only 74%. So the
  // oracle (σ from the median size of all trials' errors) is counted beside the error bar,
  // and so is the coverage of ±2 error bars (95% for a Gaussian error and an exact bar).
  const std::vector<double> ev = spectrum(200, exponential);
  DenseOperator a(matrix_with_spectrum(ev, 6));
  const int trials = 200;
  std::vector<double> errors, bars;
  for (int t = 0; t < trials; ++t) {
    const TraceEstimate e = xtrace(a, 60, std::uint64_t(t));
    errors.push_back(e.value - sum(ev));
    bars.push_back(e.standard_error);
  }
  std::vector<double> sizes;
  for (double e : errors) sizes.push_back(std::abs(e));
  const double sigma = median(sizes) / 0.6745;  // the deviation of a Gaussian with this median |error|
  auto within_3x = [](double error, double bar) { return std::abs(error) <= 3 * bar && bar <= 3 * std::abs(error); };
  int within = 0, oracle = 0, covered = 0;
  for (int t = 0; t < trials; ++t) {
    within += within_3x(errors[t], bars[t]);
    oracle += within_3x(errors[t], sigma);
    covered += std::abs(errors[t]) <= 2 * bars[t];
  }
  MESSAGE("XTrace at 60 products on exp(-k/10), ", trials, " trials: error bar within 3x of the error in ", within,
          " (the true deviation itself: ", oracle, "); error within 2 error bars in ", covered);
  CHECK(within >= oracle - 10);  // measured 147 against 143
  // Measured 160 (80%, not 95%): the m leave-one-out estimates are not independent, and
  // their spread understates the error in some trials. Said in trace.hpp.
  CHECK(covered >= 150);
}

TEST_CASE("the adaptive estimators meet the requested tolerance in at least 95% of trials") {
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> u(0.5, 1.5);
  std::vector<double> flat(200);
  for (double& e : flat) e = u(rng);
  const std::vector<double> decaying = spectrum(200, exponential);
  DenseOperator flat_op(matrix_with_spectrum(flat, 9)), decaying_op(matrix_with_spectrum(decaying, 10));
  const Tolerance tolerance{.relative = 2e-3};
  struct Case {
    const char* name;
    LinearOperator* op;
    double trace;
    TraceEstimate (*estimate)(LinearOperator&, const Tolerance&, std::uint64_t, Probe);
    Probe probe;
  };
  const Case cases[] = {
      {"hutchinson_until, flat spectrum", &flat_op, sum(flat), hutchinson_until, Probe::rademacher},
      {"hutch_plus_plus_until, exp(-k/10)", &decaying_op, sum(decaying), hutch_plus_plus_until, Probe::rademacher},
      {"xtrace_until, exp(-k/10)", &decaying_op, sum(decaying), xtrace_until, Probe::gaussian}};
  for (const Case& c : cases) {
    CAPTURE(std::string(c.name));
    int met = 0, within = 0;
    std::size_t products = 0;
    const int trials = 200;
    for (int t = 0; t < trials; ++t) {
      const TraceEstimate e = c.estimate(*c.op, tolerance, std::uint64_t(t), c.probe);
      met += e.met_tolerance;
      within += std::abs(e.value - c.trace) <= tolerance.relative * c.trace;
      products += e.products;
    }
    MESSAGE(std::string(c.name), ": tolerance met by the error bar in ", met, " of ", trials, ", by the true error in ",
            within, "; mean products ", products / trials);
    CHECK(met == trials);
    CHECK(within >= 190);
  }
}
