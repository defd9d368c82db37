// Learning a time-conditioned score along the homotopy, on the training core
// (nn/fit.hpp) with the score-matching losses of score/loss.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/tape.hpp"

namespace wengert::diffusion {

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
  std::function<void(std::size_t step, double loss)> report;  ///< every 500 steps and at the last
};

/// Score matching over t with the weight 1 - t: denoising, E ‖sqrt(1 - t) s(x_t, t) + z‖²,
/// or Hyvärinen's E (1 - t)(½‖s(x_t, t)‖² - Δ phi(x_t, t)). Returns theta.
std::vector<double> train(const nn::Potential& phi, std::vector<double> theta, const Matrix<double>& data,
                          const TrainOptions& options);

/// The training loss as a tape: inputs "x" (data), "z" (noise), "t" (levels), "v"
/// (a probe, hutchinson only) and phi's parameters; output "J", the mean over rows.
Tape loss_tape(const nn::Potential& phi, Loss loss);

}  // namespace wengert::diffusion
