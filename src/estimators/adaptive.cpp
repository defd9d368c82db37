// Estimators that stop at a tolerance: more products until twice the standard
// error (a 95% interval, for estimates near normal) is below what was asked, or
// the budget is spent, which the result says.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "estimators/shared.hpp"
#include "wengert/error.hpp"

namespace wengert::estimators {

namespace {

constexpr std::size_t first_budget = 8;
constexpr double interval = 2;  // standard errors in the half-width of a 95% interval

void check(const char* function, const Tolerance& t) {
  if (!(t.absolute >= 0 && t.relative >= 0 && std::isfinite(t.absolute) && std::isfinite(t.relative)) ||
      (t.absolute == 0 && t.relative == 0) || t.max_products < first_budget)
    throw UsageError(
        fmt::format("{}: tolerance absolute {}, relative {}, budget {}; give a positive absolute or "
                    "relative tolerance and a budget of at least {}",
                    function, t.absolute, t.relative, t.max_products, first_budget));
}

bool met(const TraceEstimate& e, const Tolerance& t) {
  return interval * e.standard_error <= std::max(t.absolute, t.relative * std::abs(e.value));
}

// Runs `estimate` at budgets 8, 16, 32, ... while the products spent stay within the
// budget; once a budget would reach n, the n products of the exact trace cost less.
template <class Estimate>
TraceEstimate doubling(LinearOperator& a, const Tolerance& t, Estimate estimate) {
  std::size_t spent = 0;
  TraceEstimate best;
  for (std::size_t budget = first_budget; spent + std::min(budget, a.size()) <= t.max_products; budget *= 2) {
    best = budget >= a.size() ? exact_trace(a) : estimate(budget);
    spent += best.products;
    if (met(best, t) || budget >= a.size()) break;
  }
  best.products = spent;
  best.met_tolerance = met(best, t);
  return best;
}

}  // namespace

TraceEstimate hutchinson_until(LinearOperator& a, const Tolerance& tolerance, std::uint64_t seed, Probe kind) {
  check("hutchinson_until", tolerance);
  std::vector<double> samples;
  TraceEstimate e;
  for (std::size_t batch = first_budget, round = 0; samples.size() + batch <= tolerance.max_products;
       batch = samples.size(), ++round) {
    const Matrix<double> v = make_probes(kind, batch, a.size(), seed + 0x9E3779B97F4A7C15ull * round);
    const Matrix<double> y = detail::products("hutchinson_until", a, v.view());
    for (std::size_t k = 0; k < batch; ++k) samples.push_back(detail::row_dot(v, k, y, k));
    e = detail::mean_of(samples, samples.size());
    if (met(e, tolerance)) break;
  }
  e.met_tolerance = met(e, tolerance);
  return e;
}

TraceEstimate hutch_plus_plus_until(LinearOperator& a, const Tolerance& tolerance, std::uint64_t seed, Probe kind) {
  check("hutch_plus_plus_until", tolerance);
  return doubling(a, tolerance, [&](std::size_t budget) { return hutch_plus_plus(a, budget, seed + budget, kind); });
}

TraceEstimate xtrace_until(LinearOperator& a, const Tolerance& tolerance, std::uint64_t seed, Probe kind) {
  check("xtrace_until", tolerance);
  return doubling(a, tolerance, [&](std::size_t budget) { return xtrace(a, budget, seed + budget, kind); });
}

}  // namespace wengert::estimators
