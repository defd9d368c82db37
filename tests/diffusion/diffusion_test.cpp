// Diffusion: the exact noisy law of a mixture, the samplers with the exact
// score against the floor of as many exact samples, Tweedie's denoiser, the
// probability-flow ODE from data to noise and back, and the losses' gradients.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include <wengert/diffusion/diffusion.hpp>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

TEST_CASE("the homotopy runs from noise at t = 0 to data at t = 1") {
  std::mt19937_64 rng(51);
  Matrix<double> x = random_matrix(4, 3, rng), z = random_matrix(4, 3, rng);
  Matrix<double> at0 = diffusion::homotopy(x, z, {0, 0, 0, 0}), at1 = diffusion::homotopy(x, z, {1, 1, 1, 1});
  CHECK(closeness(at0, z, 0, 1e-300) <= 1);
  CHECK(closeness(at1, x, 0, 1e-300) <= 1);
  CHECK_THROWS_AS(diffusion::homotopy(x, z, {0.5}), ShapeError);
}

TEST_CASE("the exact noisy score is the gradient of the exact noisy log-density, at several t") {
  score::Dataset ring = score::ring_of_gaussians();
  for (double t : {0.05, 0.3, 0.7, 0.99}) {
    CAPTURE(t);
    score::Dataset at = diffusion::noised(ring, t);
    Matrix<double> x = at.sample(10, 3), s = at.score(x);
    for (std::size_t i = 0; i < 10; ++i)
      for (std::size_t j = 0; j < 2; ++j) {
        Matrix<double> plus = x, minus = x;
        plus(i, j) += 1e-6;
        minus(i, j) -= 1e-6;
        CHECK(s(i, j) ==
              doctest::Approx((at.log_density(plus)(i, 0) - at.log_density(minus)(i, 0)) / 2e-6).epsilon(1e-6));
      }
  }
  CHECK_THROWS_WITH_AS(diffusion::noised(score::two_moons(), 0.5), doctest::Contains("not a Gaussian mixture"),
                       UsageError);
}

TEST_CASE("Karras levels run from sigma_max to sigma_min evenly in sigma^(1/rho)") {
  const std::vector<double> levels = diffusion::karras_levels(12, 0.002, 10, 7);
  REQUIRE(levels.size() == 12);
  CHECK(levels.front() == doctest::Approx(10).epsilon(1e-14));
  CHECK(levels.back() == doctest::Approx(0.002).epsilon(1e-14));
  const double step = std::pow(levels[1], 1 / 7.0) - std::pow(levels[0], 1 / 7.0);
  for (std::size_t i = 1; i < levels.size(); ++i) {
    CHECK(levels[i] < levels[i - 1]);
    CHECK(std::pow(levels[i], 1 / 7.0) - std::pow(levels[i - 1], 1 / 7.0) == doctest::Approx(step).epsilon(1e-12));
  }
}

TEST_CASE("Tweedie's denoiser is the posterior mean: for Gaussian data, sqrt(t) s² x_t / (t s² + 1 - t)") {
  const double s = 0.7;
  score::Dataset data = score::gaussian(3, 0, s);
  std::mt19937_64 rng(52);
  Matrix<double> x_t = random_matrix(5, 3, rng);
  for (double t : {0.1, 0.5, 0.95}) {
    Matrix<double> mean = diffusion::denoise(diffusion::exact_score(data), x_t, t);
    for (std::size_t i = 0; i < 15; ++i)
      CHECK(mean.data()[i] ==
            doctest::Approx(std::sqrt(t) * s * s * x_t.data()[i] / (t * s * s + 1 - t)).epsilon(1e-13));
  }
}

TEST_CASE("with the exact score every sampler reproduces the mixture, as close as exact samples are") {
  // The histogram TV of 20000 samples on 64² cells against the exact density, beside
  // 20000 exact samples' (the floor): blur or a mode's wrong mass would show.
  score::Dataset ring = score::ring_of_gaussians();
  const double s = diffusion::data_scale(ring.sample(20000, 1));
  for (diffusion::Sampler kind :
       {diffusion::Sampler::heun, diffusion::Sampler::dpm, diffusion::Sampler::sde, diffusion::Sampler::langevin}) {
    // Annealed Langevin over-disperses at every level it takes one step at (it cannot shrink the
    // variance to the next level's in one step): it needs more evaluations than the others.
    const std::size_t nfe = kind == diffusion::Sampler::langevin ? 200 : 50;
    CAPTURE(diffusion::to_string(kind));
    Matrix<double> x = diffusion::sample(kind, diffusion::exact_score(ring), 20000, 2,
                                         {.evaluations = nfe, .sigma_max = 5 * s, .data_scale = s, .seed = 5});
    const score::SampleQuality q = score::judge_samples(ring, x, 6);
    MESSAGE(diffusion::to_string(kind), " at ", nfe, " evaluations: histogram TV ", q.histogram_tv, " (floor ",
            q.floor_tv, "), distance to the support ", q.support_distance, " (exact ", q.floor_support_distance, ")");
    CHECK(q.histogram_tv <= 1.2 * q.floor_tv);
    CHECK(q.support_distance <= 1.2 * q.floor_support_distance);
  }
}

TEST_CASE("judging samples: exact ones sit at the floor, blurred ones and a lost mode do not") {
  score::Dataset ring = score::ring_of_gaussians();
  Matrix<double> exact = ring.sample(20000, 7);
  const score::SampleQuality q = score::judge_samples(ring, exact, 8);
  CHECK(q.histogram_tv <= 1.2 * q.floor_tv);
  REQUIRE(q.masses.size() == 8);
  for (double m : q.masses) CHECK(m == doctest::Approx(0.125).epsilon(0.1));
  Matrix<double> blurred = exact, noise = score::gaussian(2, 0, 0.15).sample(20000, 9);
  for (std::size_t i = 0; i < 40000; ++i) blurred.data()[i] += noise.data()[i];
  const score::SampleQuality b = score::judge_samples(ring, blurred, 8);
  MESSAGE("blurred by 0.15: histogram TV ", b.histogram_tv, " (floor ", b.floor_tv, "), distance to the support ",
          b.support_distance, " (exact ", b.floor_support_distance, ")");
  CHECK(b.histogram_tv >= 2 * b.floor_tv);
  CHECK(b.support_distance >= 1.15 * b.floor_support_distance);  // sqrt(0.2² + 0.15²) / 0.2 = 1.25
  // Mode 0's points turned by 45° onto the next mode: the histogram and the masses see it.
  Matrix<double> moved = exact;
  const std::vector<std::size_t> region = ring.region(exact);
  const double c = std::cos(std::numbers::pi / 4), sn = std::sin(std::numbers::pi / 4);
  for (std::size_t i = 0; i < moved.rows(); ++i)
    if (region[i] == 0) {
      const double u = moved(i, 0), v = moved(i, 1);
      moved(i, 0) = c * u - sn * v;
      moved(i, 1) = sn * u + c * v;
    }
  const score::SampleQuality m = score::judge_samples(ring, moved, 8);
  CHECK(m.masses[0] < 0.01);
  CHECK(m.masses[1] == doctest::Approx(0.25).epsilon(0.1));
  CHECK(m.histogram_tv >= 0.1);
  CHECK(m.support_distance <= 1.2 * m.floor_support_distance);  // a lost mode is not blur
}

TEST_CASE("the probability-flow ODE maps the data to N(0, I) and back") {
  score::Dataset ring = score::ring_of_gaussians();
  Matrix<double> data = ring.sample(1500, 6);
  Matrix<double> noise = diffusion::flow(diffusion::exact_score(ring), data, 1.0, 1e-3, 800);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  Matrix<double> gauss(1500, 2), gauss2(1500, 2);
  for (std::size_t i = 0; i < 3000; ++i) {
    gauss.data()[i] = normal(rng);
    gauss2.data()[i] = normal(rng);
  }
  const double floor = score::sliced_wasserstein(gauss2, gauss);
  CHECK(score::sliced_wasserstein(noise, gauss) <= 1.3 * floor);
  Matrix<double> back = diffusion::flow(diffusion::exact_score(ring), noise, 1e-3, 1.0, 800);
  double mean_error = 0;
  for (std::size_t i = 0; i < 3000; ++i) mean_error += std::abs(back.data()[i] - data.data()[i]) / 3000;
  MESSAGE("data -> noise -> data, mean error ", mean_error);
  CHECK(mean_error < 5e-3);
}

TEST_CASE("every diffusion loss: the theta-gradient through a time-conditioned potential matches differences") {
  nn::Potential phi = nn::time_mlp({2, 6, 1}, nn::Activation::softplus, 2);
  std::mt19937_64 rng(10);
  for (diffusion::Loss kind : {diffusion::Loss::denoising, diffusion::Loss::exact, diffusion::Loss::hutchinson}) {
    CAPTURE(diffusion::to_string(kind));
    Tape loss = diffusion::loss_tape(phi, kind);
    Values at = random_inputs(loss, 8, rng, 0.1, 0.9);  // levels t in (0.1, 0.9)
    Values exact = run(grad(loss, {"W1", "b1", "W2"}, "J"), at);
    for (const char* p : {"W1", "b1", "W2"}) {
      Matrix<double> dir = random_matrix(at[p].rows(), at[p].cols(), rng);
      CHECK(frobenius_dot(exact[std::string(p) + "_bar"], dir) ==
            doctest::Approx(finite_difference(loss, at, {{p, dir}})["J"](0, 0)).epsilon(1e-6));
    }
  }
  CHECK_THROWS_WITH_AS(diffusion::loss_from("flow"), doctest::Contains("use denoising, exact or hutchinson"),
                       UsageError);
}
