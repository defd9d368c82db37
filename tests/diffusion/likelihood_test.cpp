// The likelihood along the probability-flow ODE: for a Gaussian mixture, whose
// noisy potential is written out as a tape, it must give the exact log-density;
// the Hutchinson estimate on the same path must agree within its error bars.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <wengert/diffusion/diffusion.hpp>

#include "support/harness.hpp"

using namespace wengert;

namespace {

// phi(x, t) = -log Σk w_k N(x; sqrt(t) mu_k, (t s_k² + 1 - t) I): the exact potential of x_t (d = 2).
nn::Potential noisy_mixture_potential(const score::Mixture& m) {
  Recorder rec;
  Var x = rec.data("x", 2), t = rec.data("t", 1);
  Var x0 = slice_cols(x, 0, 1), x1 = slice_cols(x, 1, 1), root = sqrt(t);
  std::optional<Var> density;
  for (std::size_t k = 0; k < m.weights.size(); ++k) {
    Var variance = t * (m.stds[k] * m.stds[k] - 1) + 1;
    Var distance2 = square(x0 - root * m.means(k, 0)) + square(x1 - root * m.means(k, 1));
    Var term = m.weights[k] / (2 * std::numbers::pi) * exp(-0.5 * distance2 / variance) / variance;
    density = density ? *density + term : term;
  }
  rec.output("phi", -log(*density));
  return nn::custom_potential(rec.finish());
}

}  // namespace

TEST_CASE("the ODE likelihood of a mixture's exact potential is its exact log-density") {
  score::Dataset ring = score::ring_of_gaussians();
  nn::Potential phi = noisy_mixture_potential(*ring.mixture);
  const Matrix<double> x = ring.sample(300, 1);
  const diffusion::LikelihoodOptions options{.steps = 128,
                                             .sigma_max = 80,
                                             .data_scale = diffusion::data_scale(ring.sample(100000, 3)),
                                             .probes = 8,
                                             .seed = 2};
  const diffusion::Likelihood l = diffusion::log_likelihood(phi, {}, x, options);
  // The law of y = x + sigma_min z is that of x_t / sqrt(t) at t = 1/(1 + sigma_min²).
  const double t = 1 / (1 + options.sigma_min * options.sigma_min);
  Matrix<double> x_t = x;
  for (std::size_t i = 0; i < x.rows() * 2; ++i) x_t.data()[i] *= std::sqrt(t);
  const Matrix<double> exact = diffusion::noised(ring, t).log_density(x_t);
  double worst = 0, mean_difference = 0, mean_error = 0;
  std::size_t outside = 0;
  for (std::size_t i = 0; i < x.rows(); ++i) {
    worst = std::max(worst, std::abs(l.log_density[i] - (exact(i, 0) + std::log(t))));
    const double difference = l.hutchinson[i] - l.log_density[i];
    mean_difference += difference / double(x.rows());
    mean_error += l.hutchinson_error[i] * l.hutchinson_error[i] / double(x.rows() * x.rows());
    if (std::abs(difference) > 3 * l.hutchinson_error[i]) ++outside;
  }
  MESSAGE("largest |log p - exact| ", worst, "; Hutchinson - exact: mean ", mean_difference, " +- ",
          std::sqrt(mean_error), ", rows beyond 3 standard errors ", outside, " of ", x.rows());
  CHECK(worst < 5e-4);  // the modes' std is 0.2: the path near the data needs small steps
  CHECK(std::abs(mean_difference) < 3 * std::sqrt(mean_error));
  CHECK(outside <= 15);  // 3 standard errors of 8 probes (Student t, 7 dof): about 2% of rows
}

TEST_CASE("log_likelihood refuses a potential without time, and mismatched shapes") {
  nn::Potential plain = nn::mlp({2, 4, 1}, nn::Activation::tanh);
  CHECK_THROWS_WITH_AS(diffusion::log_likelihood(plain, nn::initial_parameters(plain, 1), Matrix<double>(3, 2)),
                       doctest::Contains("has no time input"), UsageError);
  nn::Potential edm = nn::edm_mlp({2, 4, 1}, nn::Activation::silu, 2, 1.0);
  CHECK_THROWS_WITH_AS(diffusion::log_likelihood(edm, nn::initial_parameters(edm, 1), Matrix<double>(3, 3)),
                       doctest::Contains("x has 3 columns"), ShapeError);
}

TEST_CASE("an edm_mlp at initialisation is Gaussian: its likelihood is N(0, s² I)'s, to fourth order in the step") {
  const double s = 0.8;
  nn::Potential phi = nn::edm_mlp({2, 8, 1}, nn::Activation::silu, 2, s);
  std::mt19937_64 rng(3);
  const Matrix<double> x = testing::random_matrix(20, 2, rng);
  auto largest_error = [&](std::size_t steps) {
    const diffusion::Likelihood l = diffusion::log_likelihood(phi, nn::initial_parameters(phi, 4), x,
                                                              {.steps = steps, .sigma_max = 10, .data_scale = s});
    const double variance = s * s + 0.002 * 0.002;  // the data's law smoothed by sigma_min
    double worst = 0;
    for (std::size_t i = 0; i < 20; ++i) {
      const double norm2 = x(i, 0) * x(i, 0) + x(i, 1) * x(i, 1);
      worst = std::max(
          worst, std::abs(l.log_density[i] - (-0.5 * norm2 / variance - std::log(2 * std::numbers::pi * variance))));
    }
    return worst;
  };
  const double coarse = largest_error(32), fine = largest_error(64);
  MESSAGE("largest error, 32 steps ", coarse, ", 64 steps ", fine);
  CHECK(fine < 5e-6);
  CHECK(coarse / fine > 10);  // fourth order: 16
}
