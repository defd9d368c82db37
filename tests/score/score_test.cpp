// Score matching: the closed-form answer for a Gaussian, exact theta-gradients,
// unbiased estimated losses, data sets, metrics, model files.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <wengert/score/gaussian.hpp>
#include <wengert/score/train.hpp>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

TEST_CASE("quadratic model, exact loss: training recovers the sample mean and covariance") {
  score::Dataset truth = score::gaussian_mixture("skewed", Matrix<double>{{1.0, -2.0, 0.5}}, {1.0}, {1.0});
  Matrix<double> data = truth.sample(2000, 3);
  for (std::size_t i = 0; i < data.rows(); ++i) {  // correlated, of unequal scales
    data(i, 1) = 0.5 * data(i, 1) + 0.3 * data(i, 0);
    data(i, 2) = 2.0 * data(i, 2) - 0.7 * data(i, 1);
  }
  nn::Potential phi = nn::quadratic(3);
  score::TrainOptions options;
  options.batch = data.rows();  // full batch: the exact optimum of the sample loss
  options.steps = 6000;
  options.learning_rate = 0.03;
  options.eval_every = 1000;
  score::TrainResult r = score::train(phi, nn::initial_parameters(phi, 1), data, options);
  const score::Moments sample = score::sample_moments(data), model = score::quadratic_moments(phi, r.theta);
  const score::MomentGap gap = score::moment_gap(model, sample);
  CHECK(gap.mean < 1e-9);
  CHECK(gap.covariance < 1e-9);
  // At the optimum the loss is -½ tr(Σ̂⁻¹); with Σ̂ = C Cᵀ, tr(Σ̂⁻¹) = ‖C⁻¹‖²_F.
  double trace_of_inverse = 0;
  const score::Moments unit = score::quadratic_moments(phi, nn::initial_parameters(phi, 1));
  CHECK(score::moment_gap(unit, {{0, 0, 0}, Matrix<double>{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}).covariance == 0);
  const std::size_t l_offset = 3;  // theta = [mu, L]; P = L Lᵀ = Σ̂⁻¹ at the optimum
  for (std::size_t i = 0; i < 9; ++i) trace_of_inverse += r.theta[l_offset + i] * r.theta[l_offset + i];
  CHECK(score::evaluate_loss(phi, r.theta, data, {}) == doctest::Approx(-0.5 * trace_of_inverse).epsilon(1e-12));
}

TEST_CASE("Gaussian moments: of data, of a quadratic potential, and the refusals") {
  const Matrix<double> data{{1, 2}, {3, 2}, {2, 5}, {2, 3}};
  const score::Moments m = score::sample_moments(data);
  CHECK(m.mean == std::vector<double>{2, 3});
  CHECK(m.covariance(0, 0) == doctest::Approx(0.5));  // (1 + 1 + 0 + 0) / 4
  CHECK(m.covariance(1, 1) == doctest::Approx(1.5));  // (1 + 1 + 4 + 0) / 4
  CHECK(m.covariance(0, 1) == doctest::Approx(0.0));  // (-1·-1 + 1·-1 + 0 + 0) / 4
  nn::Potential phi = nn::quadratic(2);
  std::vector<double> theta{0.5, -1, 2, 0, 1, 1};  // mu = (0.5, -1); L = [[2, 0], [1, 1]]: P = [[4, 2], [2, 2]]
  const score::Moments q = score::quadratic_moments(phi, theta);
  CHECK(q.mean == std::vector<double>{0.5, -1});
  CHECK(q.covariance(0, 0) == doctest::Approx(0.5));  // P⁻¹ = [[2, -2], [-2, 4]] / 4
  CHECK(q.covariance(0, 1) == doctest::Approx(-0.5));
  CHECK(q.covariance(1, 1) == doctest::Approx(1.0));
  theta = {0, 0, 1, 2, 2, 4};  // L of rank 1: no density
  CHECK_THROWS_WITH_AS(score::quadratic_moments(phi, theta), doctest::Contains("not positive definite"),
                       NonFiniteError);
  CHECK_THROWS_AS(score::quadratic_moments(nn::mlp({2, 3, 1}, nn::Activation::tanh), theta), UsageError);
  CHECK_THROWS_AS(score::sample_moments(Matrix<double>(0, 2)), UsageError);
  // The fitted Gaussian's samples have the data's moments, even for data on a line.
  const Matrix<double> line{{0, 1}, {1, 3}, {2, 5}};
  CHECK(score::moment_gap(score::sample_moments(score::fitted_gaussian(line, 200000, 5)), score::sample_moments(line))
            .mean < 0.01);
}

TEST_CASE("every loss: the theta-gradient equals finite differences of the loss") {
  nn::Potential phi = nn::mlp({3, 6, 6, 1}, nn::Activation::softplus, 0.1);
  std::mt19937_64 rng(31);
  for (score::Loss kind : {score::Loss::exact, score::Loss::hutchinson, score::Loss::sliced, score::Loss::denoising}) {
    CAPTURE(score::to_string(kind));
    Tape loss = score::loss_tape(phi, {.kind = kind, .sigma = 0.3});
    Values at = random_inputs(loss, 10, rng);
    std::vector<std::string> names;
    for (const nn::Block& b : phi.blocks) names.push_back(b.name);
    Values g = run(grad(loss, names, "J"), at);
    for (const nn::Block& b : phi.blocks) {
      CAPTURE(b.name);
      Matrix<double> dir = random_matrix(b.rows, b.cols, rng);
      const double fd = finite_difference(loss, at, {{b.name, dir}})["J"](0, 0);
      CHECK(frobenius_dot(g[b.name + "_bar"], dir) == doctest::Approx(fd).epsilon(1e-6));
    }
  }
}

TEST_CASE("the Hutchinson loss is an unbiased estimate of the exact loss") {
  nn::Potential phi = nn::mlp({4, 8, 1}, nn::Activation::tanh);
  std::vector<double> theta = nn::initial_parameters(phi, 5);
  Matrix<double> x = score::gaussian(4).sample(64, 6);
  const double exact = score::evaluate_loss(phi, theta, x, {});
  for (estimators::Probe probe : {estimators::Probe::rademacher, estimators::Probe::gaussian}) {
    const int trials = 400;
    double sum = 0, sum2 = 0;
    for (int t = 0; t < trials; ++t) {
      const double e = score::evaluate_loss(phi, theta, x, {.kind = score::Loss::hutchinson, .probe = probe}, 100 + t);
      sum += e;
      sum2 += e * e;
    }
    const double mean = sum / trials, se = std::sqrt((sum2 / trials - mean * mean) / (trials - 1));
    CHECK(se > 0);
    CHECK(std::abs(mean - exact) <= 4 * se);
  }
}

TEST_CASE("mixtures: the exact score is the gradient of the exact log-density") {
  score::Dataset ring = score::ring_of_gaussians();
  Matrix<double> x = ring.sample(20, 1);
  Matrix<double> s = ring.score(x);
  const double h = 1e-6;
  for (std::size_t i = 0; i < 20; ++i)
    for (std::size_t j = 0; j < 2; ++j) {
      Matrix<double> plus = x, minus = x;
      plus(i, j) += h;
      minus(i, j) -= h;
      const double fd = (ring.log_density(plus)(i, 0) - ring.log_density(minus)(i, 0)) / (2 * h);
      CHECK(s(i, j) == doctest::Approx(fd).epsilon(1e-6));
    }
}

TEST_CASE("a small MLP learns the 8-Gaussian ring: total variation and Fisher divergence fall") {
  score::Dataset ring = score::ring_of_gaussians();
  nn::Potential phi = nn::mlp({2, 32, 32, 1}, nn::Activation::softplus, 0.01);
  std::vector<double> theta0 = nn::initial_parameters(phi, 2);
  score::TrainOptions options;
  options.steps = 1500;
  options.learning_rate = 3e-3;
  options.eval_every = 500;
  score::TrainResult r = score::train(phi, theta0, ring.sample(4000, 3), options, &ring);
  Matrix<double> truth = score::reference_grid(ring, -4, 4, 80);
  const double cell = 0.1 * 0.1;
  const double tv0 = score::total_variation(score::density_grid(phi, theta0, -4, 4, 80), truth, cell);
  const double tv = score::total_variation(score::density_grid(phi, r.theta, -4, 4, 80), truth, cell);
  Matrix<double> held = ring.sample(1000, 9);
  const double f0 = score::fisher_divergence(phi, theta0, held, ring),
               f = score::fisher_divergence(phi, r.theta, held, ring);
  MESSAGE("ring8, [2, 32, 32, 1], 1500 steps: TV ", tv0, " -> ", tv, ", Fisher ", f0, " -> ", f);
  CHECK(tv < 0.5 * tv0);
  CHECK(f < 0.3 * f0);
}

TEST_CASE("training refuses bad data and settings with the fix") {
  nn::Potential phi = nn::mlp({2, 4, 1}, nn::Activation::tanh);
  Matrix<double> data(10, 2, 1.0);
  data(3, 1) = NAN;
  CHECK_THROWS_WITH_AS(score::train(phi, nn::initial_parameters(phi, 1), data, {}),
                       doctest::Contains("row 3, column 1"), UsageError);
  CHECK_THROWS_AS(score::train(phi, nn::initial_parameters(phi, 1), Matrix<double>(10, 3), {}), ShapeError);
  CHECK_THROWS_AS(score::loss_tape(phi, {.kind = score::Loss::denoising, .sigma = 0}), UsageError);
}
