// Turning noise into samples with a score field: annealed Langevin dynamics,
// the reverse-time SDE, the probability-flow ODE.
#pragma once

#include <cstdint>
#include <string>

#include "wengert/diffusion/laws.hpp"
#include "wengert/matrix.hpp"

namespace wengert::diffusion {

enum class Sampler { langevin, sde, ode };
std::string to_string(Sampler s);
Sampler sampler_from(const std::string& name);  ///< langevin, sde or ode

struct SampleOptions {
  std::size_t steps = 500;         ///< levels (a uniform grid in log t from t_start to t_end)
  std::size_t langevin_steps = 6;  ///< Langevin steps per level (annealed Langevin)
  /// The Langevin step at level t is ε_t = langevin_scale · (1 - t + langevin_floor): Song & Ermon's
  /// α σ_t² / σ_L², up to the constant; the floor keeps the last levels moving.
  double langevin_scale = 0.1, langevin_floor = 0.01;
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

}  // namespace wengert::diffusion
