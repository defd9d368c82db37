// Training a potential by score matching, and judging the result.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wengert/nn/potential.hpp"
#include "wengert/score/data.hpp"
#include "wengert/score/loss.hpp"

namespace wengert::score {

struct Progress {
  std::size_t step = 0, steps = 0;
  double train_loss = NAN;    ///< mean over the steps since the last report
  double holdout_loss = NAN;  ///< on the held-out samples
  double fisher = NAN;        ///< E‖s_theta - s_true‖² on the held-out samples, where the true score is known
  double samples_per_second = 0;
  double eta_seconds = 0;
};

struct TrainOptions {
  LossOptions loss;
  std::string optimizer = "adam";
  double learning_rate = 1e-3;
  bool cosine_schedule = true;  ///< the rate falls from learning_rate to 0 along half a cosine
  std::size_t steps = 2000, batch = 256;
  std::uint64_t seed = 1;
  int threads = 1;
  double holdout = 0.1;  ///< the share of the data held out
  std::size_t eval_every = 100;
  std::size_t patience = 0;  ///< stop after this many evaluations without a better held-out loss; 0 never stops
  std::string checkpoint;    ///< a model file written (atomically) at each better evaluation; empty: none
  std::function<void(const Progress&)> report;  ///< called at each evaluation
};

struct TrainResult {
  std::vector<double> theta;  ///< the parameters with the best held-out loss
  std::vector<Progress> history;
  std::size_t best_step = 0;
  bool stopped_early = false;
};

/// Minimises the loss over theta, starting from theta0, on the rows of data.
/// `truth` (optional) supplies the true score for the Fisher divergence.
TrainResult train(const nn::Potential& phi, std::vector<double> theta0, const Matrix<double>& data,
                  const TrainOptions& options, const Dataset* truth = nullptr);

/// The loss of theta over all rows of x (one probe or noise per row from the seed).
double evaluate_loss(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
                     const LossOptions& loss, std::uint64_t seed = 7);

/// The learned score s_theta = -∇x phi at each row of x.
Matrix<double> model_score(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x);

/// E‖s_theta - s_true‖² over the rows of x.
double fisher_divergence(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
                         const Dataset& truth);

/// The model density exp(-phi)/Z on an n x n grid over [lo, hi]², normalised
/// numerically (d = 2 only): row-major, cell (i, j) at x = lo + (j + ½) h, y = lo + (i + ½) h.
Matrix<double> density_grid(const nn::Potential& phi, const std::vector<double>& theta, double lo, double hi,
                            std::size_t n);

/// The same grid for the data: the exact density where it is known, else a
/// histogram of `samples` exact samples.
Matrix<double> reference_grid(const Dataset& truth, double lo, double hi, std::size_t n, std::size_t samples = 2000000);

/// Total variation ½ Σ|p - q| h² and KL(p ‖ q) = Σ p log(p/q) h² between two grids of cell width h.
double total_variation(const Matrix<double>& p, const Matrix<double>& q, double cell_area);
double kl_divergence(const Matrix<double>& p, const Matrix<double>& q, double cell_area);

}  // namespace wengert::score
