// Diffusion along the lecture's homotopy
//
//   x_t = sqrt(t) x + sqrt(1 - t) z,   z ~ N(0, I),
//
// from pure noise at t = 0 to the data at t = 1. Its density is the data's
// (scaled by sqrt(t)) convolved with N(0, (1 - t) I); for a Gaussian mixture it
// is again a mixture, with means sqrt(t) mu_k and variances t s_k² + 1 - t. This
// is the variance-preserving process of Song et al. (2021) with signal level
// ᾱ = t; in u = log t its probability-flow ODE is dx/du = (x + s(x, t)) / 2.
// A score s(x, t) learned at every t turns noise into samples.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wengert/nn/potential.hpp"
#include "wengert/score/data.hpp"

namespace wengert::diffusion {

/// x_t for data rows x and noise rows z at levels t (one per row).
Matrix<double> homotopy(const Matrix<double>& x, const Matrix<double>& z, const std::vector<double>& t);

/// The exact law of x_t for mixture data (throws UsageError for other data):
/// its sampler, score and log-density. t in [0, 1].
score::Dataset noised(const score::Dataset& data, double t);

/// A score field s(x, t) on rows x at one level t.
using ScoreField = std::function<Matrix<double>(const Matrix<double>& x, double t)>;

/// The exact score of x_t for mixture data.
ScoreField exact_score(const score::Dataset& data);
/// The learned score -∇x phi(x, t) of a time-conditioned potential (nn::time_mlp).
ScoreField learned_score(const nn::Potential& phi, const std::vector<double>& theta, int threads = 1);

// ---- training -------------------------------------------------------------------

/// The loss at each sampled level t, weighted by 1 - t (the noise variance):
/// denoising score matching, or Hyvärinen's at the law of x_t — exactly (the
/// forward Laplacian) or with one Rademacher probe (sliced, variance-reduced).
enum class Loss { denoising, exact, hutchinson };
std::string to_string(Loss loss);
Loss loss_from(const std::string& name);  ///< denoising, exact or hutchinson

struct TrainOptions {
  Loss loss = Loss::denoising;
  std::size_t steps = 4000, batch = 256;
  double learning_rate = 2e-3;
  double t_min = 1e-3, t_max = 0.999;  ///< levels in [t_min, t_max], the noise scale sqrt(1 - t) log-uniform
  std::uint64_t seed = 1;
  int threads = 1;
  std::function<void(std::size_t step, double loss)> report;  ///< every 500 steps
};

/// Score matching over t with the weight 1 - t: denoising, E ‖sqrt(1 - t) s(x_t, t) + z‖²,
/// or Hyvärinen's E (1 - t)(½‖s(x_t, t)‖² - Δ phi(x_t, t)). Returns theta.
std::vector<double> train(const nn::Potential& phi, std::vector<double> theta, const Matrix<double>& data,
                          const TrainOptions& options);

/// The training loss as a tape: inputs "x" (data), "z" (noise), "t" (levels), "v"
/// (a probe, hutchinson only) and phi's parameters; output "J", the mean over rows.
Tape loss_tape(const nn::Potential& phi, Loss loss);

// ---- sampling -------------------------------------------------------------------

enum class Sampler { langevin, sde, ode };
std::string to_string(Sampler s);
Sampler sampler_from(const std::string& name);  ///< langevin, sde or ode

struct SampleOptions {
  std::size_t steps = 500;         ///< levels (a uniform grid in log t from t_start to t_end)
  std::size_t langevin_steps = 6;  ///< Langevin steps per level (annealed Langevin)
  double langevin_scale =
      0.1;  ///< step ε_t = scale · (1 - t + t_floor) — Song & Ermon's α σ_t²/σ_L² up to the constant
  double t_start = 1e-3, t_end = 0.999;
  std::uint64_t seed = 1;
};

/// n samples in R^d from noise at t_start to t_end: annealed Langevin dynamics
/// (Song & Ermon 2019), the reverse-time SDE by Euler–Maruyama, or the
/// probability-flow ODE by Heun's method (Song et al. 2021).
Matrix<double> sample(Sampler kind, const ScoreField& score, std::size_t n, std::size_t d,
                      const SampleOptions& options = {});

/// Integrates the probability-flow ODE from t_from to t_to (either direction),
/// Heun's method on a uniform grid in log t: deterministic, so data can be mapped
/// to noise and back.
Matrix<double> flow(const ScoreField& score, Matrix<double> x, double t_from, double t_to, std::size_t steps);

// ---- sample quality ------------------------------------------------------------

/// Energy distance 2E‖X - Y‖ - E‖X - X'‖ - E‖Y - Y'‖ (Székely; zero iff equal laws).
double energy_distance(const Matrix<double>& x, const Matrix<double>& y);
/// Sliced Wasserstein-1: the mean over `projections` random directions of the
/// 1-D Wasserstein distance of the projected samples (equal sample sizes).
double sliced_wasserstein(const Matrix<double>& x, const Matrix<double>& y, std::size_t projections = 200,
                          std::uint64_t seed = 1);
/// n samples of the Gaussian with the mean and covariance of `data` (a reference).
Matrix<double> fitted_gaussian(const Matrix<double>& data, std::size_t n, std::uint64_t seed);

}  // namespace wengert::diffusion
