// Learning a time-conditioned score along the homotopy, on the training core
// (nn/fit.hpp) with the score-matching losses of score/loss.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/nn/fit.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/score/data.hpp"
#include "wengert/tape.hpp"

namespace wengert::diffusion {

/// The loss at each sampled level t: denoising score matching, or Hyvärinen's at
/// the law of x_t — exactly (the forward Laplacian) or with one Rademacher probe
/// (sliced, variance-reduced). Weighted by the noise variance 1 - t, and for an
/// edm_mlp by EDM's weight as well, which makes its network's target of unit
/// scale at every level.
enum class Loss { denoising, exact, hutchinson };
std::string to_string(Loss loss);         ///< its name, as loss_from reads it
Loss loss_from(const std::string& name);  ///< denoising, exact or hutchinson

/// How diffusion::train trains.
struct TrainOptions {
  Loss loss = Loss::denoising;                   ///< the loss at each level
  std::size_t steps = 4000;                      ///< Adam steps
  std::size_t batch = 256;                       ///< rows (each with its own level) per step
  double learning_rate = 2e-3;                   ///< the peak rate
  nn::Schedule schedule = nn::Schedule::cosine;  ///< the rate after the warm-up
  std::size_t warmup = 0;                        ///< steps of linear warm-up of the rate
  nn::Keep keep = nn::Keep::last;                ///< last or ema (there is no held-out loss here)
  double ema_decay = 0.999;                      ///< nn::FitOptions::ema_decay
  /// The levels: the noise scale sigma = sqrt((1 - t)/t) of x_t / sqrt(t) = x + sigma z,
  /// log-uniform in [sigma_min, sigma_max], so that the nearly clean levels, where the
  /// score is sharp and the samplers end, are trained as often as the noisy ones.
  double sigma_min = 0.002;
  double sigma_max = 80;   ///< the noisiest level trained
  std::uint64_t seed = 1;  ///< of the data's draw, the noise, the levels
  int threads = 1;         ///< of the gradient program
  /// Data parallel: every rank draws the same global batch and trains on its share
  /// (nn::shared_source); nullptr: this process alone.
  nn::Communicator* communicator = nullptr;
  /// A checkpoint (nn/checkpoint.hpp) written atomically every report_every steps and at
  /// the last; empty: none.
  std::string checkpoint;
  /// A checkpoint to go on from, written by a run with the same options (threads and
  /// reports aside): the result is the one that run would have reached.
  std::string resume;
  std::size_t report_every = 500;                             ///< steps between reports (and checkpoints)
  std::function<void(std::size_t step, double loss)> report;  ///< every report_every steps and at the last
};

/// Score matching over the levels: denoising, E w(t) ‖sqrt(1 - t) s(x_t, t) + z‖²,
/// or Hyvärinen's E w(t)(½‖s(x_t, t)‖² - Δ phi(x_t, t)), on the rows of data
/// (drawn with replacement). Returns theta.
std::vector<double> train(const nn::Potential& phi, std::vector<double> theta, const Matrix<double>& data,
                          const TrainOptions& options);
/// The same on fresh exact samples of `data` every step.
std::vector<double> train(const nn::Potential& phi, std::vector<double> theta, const score::Dataset& data,
                          const TrainOptions& options);

/// The data's scale for edm_mlp: the root mean square over the coordinates of
/// each column's standard deviation.
double data_scale(const Matrix<double>& data);

/// The training loss as a tape: inputs "x" (data), "z" (noise), "t" (levels), "v"
/// (a probe, hutchinson only) and phi's parameters; output "J", the mean over rows.
Tape loss_tape(const nn::Potential& phi, Loss loss);

}  // namespace wengert::diffusion
