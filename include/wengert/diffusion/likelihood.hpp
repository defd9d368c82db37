// The exact likelihood of a diffusion model. Along the probability-flow ODE the
// log-density of the moving point changes by minus the divergence of the drift,
// and for a score s = -∇phi that divergence is a Laplacian of phi: the forward
// Laplacian gives it exactly, where FFJORD (Grathwohl et al. 2019) estimates it
// with Hutchinson probes. Both are computed here on the same trajectory.
#pragma once

#include <cstdint>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/nn/communicator.hpp"
#include "wengert/nn/potential.hpp"

namespace wengert::diffusion {

/// How log_likelihood integrates.
struct LikelihoodOptions {
  /// Steps of the classical Runge-Kutta method (four evaluations each) in sigma, on
  /// Karras levels from sigma_min up to sigma_max.
  /// On the 8-Gaussian ring (modes of std 0.2) 64 steps give log p to 2e-3, 128 to 1e-4.
  std::size_t steps = 64;
  double sigma_min = 0.002;  ///< where the path starts: the data's law smoothed by this noise
  double sigma_max = 80;     ///< where it ends, at the Gaussian prior
  double rho = 7;            ///< the levels' spacing, as karras_levels
  /// The prior at sigma_max is N(0, (sigma_max² + data_scale²) I), as for the samplers.
  double data_scale = 0;
  std::size_t probes = 0;  ///< Rademacher probes for the Hutchinson estimate beside the exact one; 0: none
  std::uint64_t seed = 1;  ///< of the probes
  int threads = 1;         ///< of the programs
  /// The ranks that share the rows (each row's path is integrated by one rank, its
  /// probes the same as for one process), the results gathered on every rank in
  /// order; nullptr: this process alone.
  nn::Communicator* communicator = nullptr;
};

/// What log_likelihood returns, per row.
struct Likelihood {
  std::vector<double> log_density;  ///< per row: log p(x) with the exact divergence
  /// With probes: per row, the mean over the probes of the same integral with each
  /// probe's divergence vᵀ∇s v in place of the exact one, and its standard error.
  std::vector<double> hutchinson;
  std::vector<double> hutchinson_error;  ///< the standard error of `hutchinson` (NaN with one probe)
};

/// log p(x) for the rows of x under a time-conditioned potential phi(x_t, t) (time_mlp,
/// edm_mlp or any tape with inputs "x" and "t"): in y = x_t / sqrt(t) = x + sigma z,
///     log p(x) = log N(y(sigma_max); 0, (sigma_max² + s²) I) + ∫ sigma t Δx phi(sqrt(t) y, t) dsigma,
/// with y(sigma) carried by dy/dsigma = sigma sqrt(t) ∇x phi(sqrt(t) y, t) from y = x at
/// sigma_min (t = 1/(1 + sigma²)). The data's law smoothed by sigma_min: for sigma_min far
/// below the data's features, the data's.
Likelihood log_likelihood(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
                          const LikelihoodOptions& options = {});

/// The model's density exp(log p) on the n x n grid of cell centres over [lo, hi]²
/// (d = 2, as score::grid_centres), with its total mass on the grid in `mass`
/// (near 1 when the likelihood is right and the grid holds the data), renormalised
/// to 1 so that it compares with score::density_grid's.
Matrix<double> likelihood_grid(const nn::Potential& phi, const std::vector<double>& theta, double lo, double hi,
                               std::size_t n, const LikelihoodOptions& options, double* mass = nullptr);

}  // namespace wengert::diffusion
