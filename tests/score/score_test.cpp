// Score matching: the closed-form answer for a Gaussian, exact theta-gradients,
// unbiased estimated losses, data sets, metrics, model files.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <wengert/score/train.hpp>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

TEST_CASE("quadratic model, exact loss: training recovers the sample mean and inverse covariance") {
  score::Dataset truth = score::gaussian_mixture("skewed", Matrix<double>{{1.0, -2.0}}, {1.0}, {1.0});
  Matrix<double> data = truth.sample(2000, 3);
  for (std::size_t i = 0; i < data.rows(); ++i) data(i, 1) = 0.5 * data(i, 1) + 0.3 * data(i, 0);  // correlated
  // The sample mean and covariance (1/N), and Σ̂⁻¹.
  double m[2] = {0, 0}, c[2][2] = {{0, 0}, {0, 0}};
  const double n = double(data.rows());
  for (std::size_t i = 0; i < data.rows(); ++i) {
    m[0] += data(i, 0) / n;
    m[1] += data(i, 1) / n;
  }
  for (std::size_t i = 0; i < data.rows(); ++i)
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) c[a][b] += (data(i, a) - m[a]) * (data(i, b) - m[b]) / n;
  const double det = c[0][0] * c[1][1] - c[0][1] * c[1][0];
  const double inv[2][2] = {{c[1][1] / det, -c[0][1] / det}, {-c[1][0] / det, c[0][0] / det}};

  nn::Potential phi = nn::quadratic(2);
  score::TrainOptions options;
  options.batch = data.rows();  // full batch: the exact optimum of the sample loss
  options.holdout = 0;
  options.steps = 4000;
  options.learning_rate = 0.05;
  options.eval_every = 1000;
  score::TrainResult r = score::train(phi, nn::initial_parameters(phi, 1), data, options);
  const double* mu = r.theta.data();
  const double* L = r.theta.data() + 2;
  for (int a = 0; a < 2; ++a) {
    CHECK(mu[a] == doctest::Approx(m[a]).epsilon(1e-3));
    for (int b = 0; b < 2; ++b) {
      const double p = L[a * 2 + 0] * L[b * 2 + 0] + L[a * 2 + 1] * L[b * 2 + 1];  // P = L Lᵀ
      CHECK(p == doctest::Approx(inv[a][b]).epsilon(1e-3).scale(inv[0][0]));
    }
  }
  const double optimum = score::evaluate_loss(phi, r.theta, data, {});
  CHECK(optimum == doctest::Approx(-0.5 * (inv[0][0] + inv[1][1])).epsilon(1e-6));
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
