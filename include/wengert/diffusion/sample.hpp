// Turning noise into samples with a score field. Every sampler runs on the
// levels of Karras et al. (2022), dense near the data, in the variable
// y = x_t / sqrt(t) = x + sigma z (sigma² = (1 - t)/t), and ends with Tweedie's
// posterior mean E[x | x_t], so that no injected noise is left in the samples.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wengert/diffusion/laws.hpp"
#include "wengert/matrix.hpp"
#include "wengert/nn/communicator.hpp"

namespace wengert::diffusion {

/// heun: the probability-flow ODE by Heun's method (EDM's deterministic sampler);
/// dpm: the same ODE by DPM-Solver++(2M), second order with one score evaluation per step;
/// sde: the reverse-time SDE by SDE-DPM-Solver++(2M);
/// langevin: annealed Langevin dynamics (Song & Ermon 2019), a few steps per level.
enum class Sampler { heun, dpm, sde, langevin };
std::string to_string(Sampler s);               ///< its name, as sampler_from reads it
Sampler sampler_from(const std::string& name);  ///< heun, dpm, sde or langevin

/// How sample() runs.
struct SampleOptions {
  std::size_t evaluations = 50;  ///< score evaluations per sample row (NFE): the cost, and the knob
  double sigma_min = 0.002;      ///< the last noise level before Tweedie's denoising
  double sigma_max = 80;         ///< the first noise level, where sampling starts
  double rho = 7;                ///< the levels' spacing, as karras_levels
  /// The data's scale s (per coordinate) if known: the start is then N(0, (sigma_max² + s²) I),
  /// the law of y at sigma_max for data of that scale, and sigma_max can be a few times s.
  double data_scale = 0;
  std::size_t langevin_steps = 1;  ///< langevin: steps per level
  double langevin_step = 0.9;      ///< langevin: the step at level sigma is this times sigma²
  /// langevin: its last level. Below it steps of 0.9 sigma² barely move the samples, so
  /// levels there would be spent for nothing; Tweedie's formula removes the noise left.
  double langevin_sigma_min = 0.05;
  std::uint64_t seed = 1;  ///< of the start and of the injected noise
  /// Rows shared by the ranks (nn/communicator.hpp): each rank integrates its share,
  /// drawing every row's noise so that its rows are the ones one process draws, and
  /// every rank gets all n rows back, in order. nullptr: this process alone.
  nn::Communicator* communicator = nullptr;
};

/// n noise scales from sigma_max down to sigma_min, evenly spaced in sigma^(1/rho)
/// (rho = 7 crowds them near the data, where the score changes fastest).
std::vector<double> karras_levels(std::size_t n, double sigma_min, double sigma_max, double rho);

/// The posterior mean E[x | x_t] = (x_t + (1 - t) s(x_t, t)) / sqrt(t), by Tweedie's formula.
Matrix<double> denoise(const ScoreField& score, const Matrix<double>& x_t, double t);

/// n samples in R^d, starting from N(0, (sigma_max² + data_scale²) I), in `evaluations` score evaluations.
Matrix<double> sample(Sampler kind, const ScoreField& score, std::size_t n, std::size_t d,
                      const SampleOptions& options = {});

/// Integrates the probability-flow ODE from t_from to t_to (either direction),
/// Heun's method on a uniform grid in log t: deterministic, so data can be mapped
/// to noise and back.
Matrix<double> flow(const ScoreField& score, Matrix<double> x, double t_from, double t_to, std::size_t steps);

}  // namespace wengert::diffusion
