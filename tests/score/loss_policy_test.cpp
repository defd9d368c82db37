// The loss `auto`: the choice from its four figures, the variances it measures
// against their closed forms on a quadratic potential, and training with it.
#include <doctest/doctest.h>

#include <cmath>
#include <wengert/score/loss_policy.hpp>
#include <wengert/score/train.hpp>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {

score::LossMeasurements figures(double exact_ms, double probe_ms, double sampling, double probe) {
  return {.exact_seconds = exact_ms / 1e3,
          .probe_seconds = probe_ms / 1e3,
          .sampling_variance = sampling,
          .probe_variance = probe};
}

}  // namespace

TEST_CASE("auto takes the fewest probes within the noise asked, unless the exact loss is no dearer") {
  const score::LossPolicy policy{.probe_noise = 0.1, .max_probes = 64};
  // Var_z = Var_x: ten probes keep the added variance at a tenth.
  score::LossChoice c = score::choose_loss(figures(20, 1, 1, 1), policy);
  CHECK(c.probes_needed == 10);
  CHECK(c.loss.kind == score::Loss::hutchinson);
  CHECK(c.loss.probes == 10);
  CHECK(c.reason.find("hutchinson with 10 probes") != std::string::npos);
  c = score::choose_loss(figures(10, 1, 1, 1), policy);  // ten probes cost what the exact loss costs
  CHECK(c.loss.kind == score::Loss::exact);
  CHECK(c.reason.find("the exact loss") != std::string::npos);
  c = score::choose_loss(figures(20, 1, 1, 0.05), policy);  // little probe noise: one probe
  CHECK(c.probes_needed == 1);
  CHECK(c.loss.probes == 1);
  c = score::choose_loss(figures(1e6, 1, 1, 100), policy);  // 1000 probes needed: more than allowed
  CHECK(c.probes_needed == 65);
  CHECK(c.loss.kind == score::Loss::exact);
  c = score::choose_loss(figures(1e6, 1, 0, 1), policy);  // no sampling noise for the probes to hide in
  CHECK(c.loss.kind == score::Loss::exact);
  c = score::choose_loss(figures(1e6, 1, 0, 0), policy);  // nothing random at all
  CHECK(c.loss.kind == score::Loss::exact);
  CHECK_THROWS_AS(score::choose_loss(figures(1, 1, 1, 1), {.probe_noise = 0}), UsageError);
  CHECK_THROWS_AS(score::choose_loss(figures(1, 1, 1, 1), {.probe_noise = NAN}), UsageError);
  CHECK_THROWS_AS(score::choose_loss(figures(1, 1, 1, 1), {.max_probes = 0}), UsageError);
}

TEST_CASE("auto's variances equal their closed forms on a quadratic potential") {
  // phi = ½ xᵀAx with A = L Lᵀ, x ~ N(0, I): the exact term ½‖Ax‖² - tr A has variance
  // Var(½ xᵀA²x) = ½ tr(A⁴); a Rademacher probe's zᵀAz has variance 2 (‖A‖²_F - Σ a_ii²) at every x.
  const std::size_t d = 3;
  const nn::Potential phi = nn::quadratic(d);
  const double L[d][d] = {{1.0, 0.0, 0.0}, {0.5, 0.8, 0.0}, {-0.3, 0.4, 0.6}};
  std::vector<double> theta(d + d * d, 0.0);  // mu = 0, then L row by row
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < d; ++j) theta[d + i * d + j] = L[i][j];
  double A[d][d] = {}, A2[d][d] = {};
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < d; ++j)
      for (std::size_t k = 0; k < d; ++k) A[i][j] += L[i][k] * L[j][k];
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < d; ++j)
      for (std::size_t k = 0; k < d; ++k) A2[i][j] += A[i][k] * A[k][j];
  double trace_a4 = 0, off_diagonal = 0;
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      trace_a4 += A2[i][j] * A2[j][i];
      if (i != j) off_diagonal += A[i][j] * A[i][j];
    }
  const std::size_t rows = 20000;  // the sample variance of a chi-square-like term: relative error about 3%
  const Matrix<double> pilot = estimators::make_probes(estimators::Probe::gaussian, rows, d, 11);
  const score::LossMeasurements m = score::measure_losses(phi, theta, pilot, {.batch = rows});
  CAPTURE(m.sampling_variance);
  CAPTURE(m.probe_variance);
  CHECK(m.sampling_variance == doctest::Approx(0.5 * trace_a4).epsilon(0.12));
  CHECK(m.probe_variance == doctest::Approx(2 * off_diagonal).epsilon(0.03));
  CHECK(m.exact_seconds > 0);
  CHECK(m.probe_seconds > 0);
  // With a Gaussian probe the added variance is 2‖A‖²_F, diagonal included.
  double frobenius = off_diagonal;
  for (std::size_t i = 0; i < d; ++i) frobenius += A[i][i] * A[i][i];
  const score::LossMeasurements g =
      score::measure_losses(phi, theta, pilot, {.batch = rows, .probe = estimators::Probe::gaussian});
  CHECK(g.probe_variance == doctest::Approx(2 * frobenius).epsilon(0.03));
}

TEST_CASE("auto refuses what it cannot measure, and is not a tape") {
  const nn::Potential phi = nn::quadratic(2);
  const std::vector<double> theta = nn::initial_parameters(phi, 1);
  const Matrix<double> pilot = estimators::make_probes(estimators::Probe::gaussian, 10, 2, 1);
  CHECK_THROWS_WITH_AS(score::measure_losses(phi, theta, Matrix<double>(1, 2), {}), doctest::Contains("at least 2"),
                       UsageError);
  CHECK_THROWS_WITH_AS(score::measure_losses(phi, theta, Matrix<double>(5, 3), {}), doctest::Contains("R^2"),
                       ShapeError);
  CHECK_THROWS_AS(score::measure_losses(phi, std::vector<double>(2), pilot, {}), ShapeError);
  CHECK_THROWS_AS(score::measure_losses(phi, theta, pilot, {.batch = 0}), UsageError);
  CHECK_THROWS_WITH_AS(score::loss_tape(phi, {.kind = score::Loss::automatic}), doctest::Contains("choose_loss"),
                       UsageError);
  CHECK(score::loss_from("auto") == score::Loss::automatic);
  CHECK(score::to_string(score::Loss::automatic) == "auto");
}

TEST_CASE("training with auto resolves the loss once and says what it chose") {
  const score::Dataset ring = score::ring_of_gaussians(8, 2, 0.3);
  const nn::Potential phi = nn::mlp({2, 16, 1}, nn::Activation::tanh);
  score::TrainOptions options;
  options.loss.kind = score::Loss::automatic;
  options.steps = 20;
  options.batch = 64;
  options.eval_every = 10;
  const score::TrainResult r = score::train(phi, nn::initial_parameters(phi, 1), ring, options);
  REQUIRE(r.loss_choice.has_value());
  CHECK(r.loss.kind == r.loss_choice->loss.kind);
  CHECK(r.loss.probes == r.loss_choice->loss.probes);
  CHECK(r.loss.kind != score::Loss::automatic);
  CHECK(r.loss_choice->reason.find("auto chose") == 0);
  CHECK(std::isfinite(r.history.back().holdout_loss));
  options.loss.kind = score::Loss::exact;  // any other loss is trained as asked, with no choice made
  const score::TrainResult plain = score::train(phi, nn::initial_parameters(phi, 1), ring, options);
  CHECK_FALSE(plain.loss_choice.has_value());
  CHECK(plain.loss.kind == score::Loss::exact);
}
