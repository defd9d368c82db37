// A learned time-conditioned score (trains a network: in the suite 'slow').
#include <doctest/doctest.h>

#include <wengert/diffusion/diffusion.hpp>

#include "support/harness.hpp"

using namespace wengert;

TEST_CASE("a learned time-conditioned score generates samples far closer than a fitted Gaussian") {
  score::Dataset ring = score::ring_of_gaussians();
  nn::Potential phi = nn::time_mlp({2, 64, 64, 1}, nn::Activation::softplus, 4);
  std::vector<double> theta =
      diffusion::train(phi, nn::initial_parameters(phi, 1), ring.sample(20000, 4), {.steps = 4000, .threads = 2});
  Matrix<double> truth = ring.sample(1000, 8),
                 x = diffusion::sample(diffusion::Sampler::ode, diffusion::learned_score(phi, theta), 1000, 2,
                                       {.steps = 300});
  const double ed = score::energy_distance(x, truth),
               gauss = score::energy_distance(score::fitted_gaussian(truth, 1000, 9), truth);
  MESSAGE("learned ODE sampler: energy distance ", ed, ", fitted Gaussian ", gauss);
  CHECK(ed < 0.4 * gauss);
}
