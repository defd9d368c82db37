// The loss `auto`: measure both losses on this machine, then take the cheaper
// one that is accurate enough (see the header for the reasoning).
#include "wengert/score/loss_policy.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>

#include "wengert/error.hpp"
#include "wengert/nn/fit.hpp"

namespace wengert::score {

namespace {

constexpr std::size_t probes_per_pilot_row = 4;  // for Var_z, row by row
constexpr double timing_window = 0.02;           // seconds of repeated runs per timing

void check(const nn::Potential& phi, std::span<const double> theta, const Matrix<double>& pilot,
           const LossPolicy& policy) {
  if (pilot.cols() != static_cast<std::size_t>(phi.dim()))
    throw ShapeError(fmt::format("measure_losses: the pilot rows have {} columns; the potential takes x in R^{}",
                                 pilot.cols(), phi.dim()));
  if (pilot.rows() < 2)
    throw UsageError(fmt::format("measure_losses: {} pilot rows; a variance needs at least 2", pilot.rows()));
  if (theta.size() != phi.parameter_count())
    throw ShapeError(fmt::format("measure_losses: theta has {} values; the potential has {} parameters", theta.size(),
                                 phi.parameter_count()));
  if (policy.batch == 0) throw UsageError("measure_losses: batch = 0; use at least 1");
}

// Row r of the result is row r mod n of x, each repeated `copies` times in a row.
Matrix<double> cycle_rows(const Matrix<double>& x, std::size_t rows, std::size_t copies) {
  Matrix<double> out(rows * copies, x.cols());
  for (std::size_t r = 0; r < rows * copies; ++r) std::copy_n(&x((r / copies) % x.rows(), 0), x.cols(), &out(r, 0));
  return out;
}

// The least time per run of the program, over three windows of repeated runs.
double seconds_per_run(Program<double>& program) {
  using clock = std::chrono::steady_clock;
  program.run();  // the first run touches every buffer
  double best = INFINITY;
  for (int window = 0; window < 3; ++window) {
    std::size_t runs = 0;
    const auto start = clock::now();
    double elapsed = 0;
    while (elapsed < timing_window) {
      program.run();
      ++runs;
      elapsed = std::chrono::duration<double>(clock::now() - start).count();
    }
    best = std::min(best, elapsed / double(runs));
  }
  return best;
}

// One gradient step of the loss on `batch` samples (one probe each where it has probes).
double step_seconds(const nn::Potential& phi, std::span<const double> theta, const Matrix<double>& pilot,
                    const LossPolicy& policy, Loss kind) {
  Program<double> step = nn::gradient_program(phi, loss_tape(phi, {.kind = kind}), policy.threads);
  phi.bind(step, theta);
  const Matrix<double> x = cycle_rows(pilot, policy.batch, 1);
  step.set("x", x);
  const Matrix<double> z =
      needs_z(kind) ? estimators::make_probes(policy.probe, x.rows(), x.cols(), policy.seed) : Matrix<double>();
  if (needs_z(kind)) step.set("z", z);
  return seconds_per_run(step);
}

// The per-sample term of the loss at each row of x (with the probes z where it has them).
std::vector<double> per_sample_terms(const nn::Potential& phi, std::span<const double> theta, Loss kind,
                                     const Matrix<double>& x, const Matrix<double>& z) {
  Recorder rec;
  Var xv = rec.data("x", phi.dim());
  auto parameters = phi.record_parameters(rec);
  Var zv = needs_z(kind) ? rec.data("z", phi.dim()) : Var();
  rec.output("l", per_sample_loss(rec, phi, parameters, kind, xv, zv));
  Program<double> terms(rec.finish());
  phi.bind(terms, theta);
  terms.set("x", x);
  if (needs_z(kind)) terms.set("z", z);
  terms.run();
  const auto l = terms.get("l");
  return {l.data, l.data + x.rows()};
}

double variance(std::span<const double> v) {  // unbiased
  double mean = 0, sum = 0;
  for (double e : v) mean += e / double(v.size());
  for (double e : v) sum += (e - mean) * (e - mean);
  return sum / double(v.size() - 1);
}

}  // namespace

LossMeasurements measure_losses(const nn::Potential& phi, std::span<const double> theta, const Matrix<double>& pilot,
                                const LossPolicy& policy) {
  check(phi, theta, pilot, policy);
  const std::size_t rows = std::min(pilot.rows(), std::max<std::size_t>(policy.batch, 2));
  LossMeasurements m;
  m.exact_seconds = step_seconds(phi, theta, pilot, policy, Loss::exact);
  m.probe_seconds = step_seconds(phi, theta, pilot, policy, Loss::hutchinson);
  m.sampling_variance = variance(per_sample_terms(phi, theta, Loss::exact, cycle_rows(pilot, rows, 1), {}));
  const Matrix<double> x = cycle_rows(pilot, rows, probes_per_pilot_row);
  const Matrix<double> z = estimators::make_probes(policy.probe, x.rows(), x.cols(), policy.seed + 1);
  const std::vector<double> probed = per_sample_terms(phi, theta, Loss::hutchinson, x, z);
  for (std::size_t r = 0; r < rows; ++r)
    m.probe_variance +=
        variance(std::span(probed).subspan(r * probes_per_pilot_row, probes_per_pilot_row)) / double(rows);
  if (!std::isfinite(m.sampling_variance) || !std::isfinite(m.probe_variance))
    throw UsageError(
        fmt::format("measure_losses: the loss is not finite at the pilot rows (variances {} and {}); "
                    "check theta and the data's scale",
                    m.sampling_variance, m.probe_variance));
  return m;
}

LossChoice choose_loss(const LossMeasurements& m, const LossPolicy& policy) {
  if (!(policy.probe_noise > 0) || !std::isfinite(policy.probe_noise) || policy.max_probes == 0)
    throw UsageError(
        fmt::format("choose_loss: probe_noise = {} and max_probes = {}; use a positive share and a "
                    "positive count",
                    policy.probe_noise, policy.max_probes));
  LossChoice c{.measured = m};
  const double needed = std::ceil(m.probe_variance / (policy.probe_noise * m.sampling_variance));
  c.probes_needed = needed <= double(policy.max_probes) ? std::max<std::size_t>(1, std::size_t(needed))
                                                        : policy.max_probes + 1;  // also 0/0 and x/0
  const double probes_seconds = double(c.probes_needed) * m.probe_seconds;
  const bool exact = c.probes_needed > policy.max_probes || m.exact_seconds <= probes_seconds;
  c.loss = exact ? LossOptions{.kind = Loss::exact}
                 : LossOptions{.kind = Loss::hutchinson, .probe = policy.probe, .probes = c.probes_needed};
  const std::string probes = c.probes_needed > policy.max_probes
                                 ? fmt::format("more than {} probes", policy.max_probes)
                                 : fmt::format("{} probe{} ({:.3g} ms)", c.probes_needed,
                                               c.probes_needed > 1 ? "s" : "", 1e3 * probes_seconds);
  c.reason = fmt::format(
      "auto chose {}: a step of {} samples costs {:.3g} ms exact, {:.3g} ms per probe; the probes' variance {:.3g} "
      "beside the sampling variance {:.3g} needs {} to add at most {:g} of it",
      exact ? "the exact loss"
            : fmt::format("hutchinson with {} probe{}", c.probes_needed, c.probes_needed > 1 ? "s" : ""),
      policy.batch, 1e3 * m.exact_seconds, 1e3 * m.probe_seconds, m.probe_variance, m.sampling_variance, probes,
      policy.probe_noise);
  return c;
}

LossChoice choose_loss(const nn::Potential& phi, std::span<const double> theta, const Matrix<double>& pilot,
                       const LossPolicy& policy) {
  return choose_loss(measure_losses(phi, theta, pilot, policy), policy);
}

}  // namespace wengert::score
