// A learned time-conditioned score (trains a network: in the suite 'slow').
#include <doctest/doctest.h>

#include <wengert/diffusion/diffusion.hpp>

#include "support/harness.hpp"

using namespace wengert;

TEST_CASE("a learned EDM-scaled score samples the ring with every mode's mass, far closer than a Gaussian") {
  score::Dataset ring = score::ring_of_gaussians();
  const double s = diffusion::data_scale(ring.sample(20000, 3));
  nn::Potential phi = nn::edm_mlp({2, 64, 64, 1}, nn::Activation::silu, 8, s);
  std::vector<double> theta = diffusion::train(phi, nn::initial_parameters(phi, 1), ring,
                                               {.steps = 3000,
                                                .batch = 512,
                                                .learning_rate = 2e-2,
                                                .warmup = 150,
                                                .keep = nn::Keep::ema,
                                                .sigma_min = 0.002,
                                                .sigma_max = 5 * s,
                                                .threads = 2});
  Matrix<double> x = diffusion::sample(diffusion::Sampler::sde, diffusion::learned_score(phi, theta, 2), 20000, 2,
                                       {.evaluations = 50, .sigma_max = 5 * s, .data_scale = s});
  const score::SampleQuality q = score::judge_samples(ring, x, 8),
                             gauss = score::judge_samples(ring, score::fitted_gaussian(x, 20000, 9), 8);
  MESSAGE("learned, SDE at 50 evaluations: histogram TV ", q.histogram_tv, " (floor ", q.floor_tv, ", fitted Gaussian ",
          gauss.histogram_tv, ")");
  CHECK(q.histogram_tv < 0.25 * gauss.histogram_tv);
  for (double m : q.masses) CHECK(m == doctest::Approx(0.125).epsilon(0.25));
}
