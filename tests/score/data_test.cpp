// The built-in data sets: exact densities integrate to one and match the
// samplers, exact scores are the gradients of the exact log-densities, and the
// regions share the mass as stated.
#include <doctest/doctest.h>

#include <wengert/score/data.hpp>
#include <wengert/score/metrics.hpp>

#include "support/harness.hpp"

using namespace wengert;

TEST_CASE("every built-in density integrates to one and matches a histogram of its samples") {
  for (const std::string& name : score::dataset_names()) {
    CAPTURE(name);
    const score::Dataset set = score::dataset(name);
    const double lo = -6, hi = 6;
    const std::size_t n = 240;  // cells 0.05 wide: the midpoint rule is exact for bumps 0.1 wide
    const Matrix<double> logp = set.log_density(score::grid_centres(lo, hi, n));
    double mass = 0;
    for (std::size_t k = 0; k < n * n; ++k) mass += std::exp(logp.data()[k]) * 0.05 * 0.05;
    CHECK(mass == doctest::Approx(1.0).epsilon(2e-3));
    // 200 000 samples against the exact density on a 48 x 48 grid over [-4, 4]²: the histogram's
    // own noise, about 0.02 in total variation.
    const Matrix<double> exact = score::reference_grid(set, -4, 4, 48, 0, 8);  // averaged over each cell
    const Matrix<double> counted = score::histogram_grid(set.sample(200000, 3), -4, 4, 48);
    CHECK(score::total_variation(exact, counted, (8.0 / 48) * (8.0 / 48)) < 0.04);
  }
}

TEST_CASE("every built-in score is the gradient of its log-density") {
  for (const std::string& name : score::dataset_names()) {
    if (name == "checkerboard") continue;  // flat on its squares: no score to speak of
    CAPTURE(name);
    const score::Dataset set = score::dataset(name);
    REQUIRE(set.score);
    const Matrix<double> x = set.sample(30, 5), s = set.score(x);
    const double h = 1e-5;
    for (std::size_t i = 0; i < x.rows(); ++i)
      for (std::size_t j = 0; j < 2; ++j) {
        Matrix<double> plus = x, minus = x;
        plus(i, j) += h;
        minus(i, j) -= h;
        const double fd = (set.log_density(plus)(i, 0) - set.log_density(minus)(i, 0)) / (2 * h);
        CHECK(s(i, j) == doctest::Approx(fd).epsilon(1e-5).scale(1.0));
      }
  }
}

TEST_CASE("regions share the samples' mass as stated, and exact samples sit at the noise's distance from the support") {
  for (const char* name : {"ring8", "two_moons", "rings", "checkerboard"}) {
    CAPTURE(name);
    const score::Dataset set = score::dataset(name);
    const Matrix<double> x = set.sample(100000, 7);
    const std::vector<double> masses = score::sample_region_masses(set, x);
    REQUIRE(masses.size() == set.region_mass.size());
    for (std::size_t r = 0; r < masses.size(); ++r)
      CHECK(masses[r] == doctest::Approx(set.region_mass[r]).epsilon(0.03));
  }
  // Rings: the radial noise N(0, 0.1²) puts exact samples E|ε| = 0.1·√(2/π) from the nearest ring.
  const score::Dataset rings = score::dataset("rings");
  const std::vector<double> d = rings.support_distance(rings.sample(100000, 8));
  double mean = 0;
  for (double v : d) mean += v / double(d.size());
  CHECK(mean == doctest::Approx(0.1 * std::sqrt(2 / 3.141592653589793)).epsilon(0.01));
  CHECK_THROWS_WITH_AS(score::dataset("checkerboard", 0.1), doctest::Contains("no noise to set"), UsageError);
  CHECK(score::dataset("ring8", 0.3).mixture->stds[0] == 0.3);
}
