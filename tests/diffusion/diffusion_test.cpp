// Diffusion: the exact noisy law of a mixture, the samplers with the exact
// score against the floor of two independent true samples, the probability-flow
// ODE from data to noise and back, and a learned model against a fitted Gaussian.
#include <doctest/doctest.h>

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

TEST_CASE("with the exact score every sampler reproduces the mixture, as close as two true samples are") {
  // Sliced Wasserstein distances of 1500 samples are noisy: each figure is a mean over three seeds.
  score::Dataset ring = score::ring_of_gaussians();
  Matrix<double> reference = ring.sample(1500, 1);
  double floor = 0, gaussian = 0;
  for (std::uint64_t seed = 2; seed < 5; ++seed) {
    floor += score::sliced_wasserstein(ring.sample(1500, seed), reference) / 3;
    gaussian += score::sliced_wasserstein(score::fitted_gaussian(reference, 1500, seed), reference) / 3;
  }
  for (diffusion::Sampler kind : {diffusion::Sampler::langevin, diffusion::Sampler::sde, diffusion::Sampler::ode}) {
    CAPTURE(diffusion::to_string(kind));
    double sw = 0;
    for (std::uint64_t seed = 5; seed < 8; ++seed)
      sw +=
          score::sliced_wasserstein(
              diffusion::sample(kind, diffusion::exact_score(ring), 1500, 2, {.steps = 400, .seed = seed}), reference) /
          3;
    MESSAGE(diffusion::to_string(kind), ": sliced Wasserstein ", sw, " (floor ", floor, ", fitted Gaussian ", gaussian,
            ")");
    CHECK(sw <= 1.5 * floor);
  }
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
