// Training a potential by score matching (on the training core, nn/fit.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wengert/nn/fit.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/score/data.hpp"
#include "wengert/score/loss.hpp"
#include "wengert/score/metrics.hpp"

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
  double adam_epsilon = 1e-8;
  double learning_rate = 1e-3;
  nn::Schedule schedule = nn::Schedule::cosine;
  std::size_t warmup = 0;  ///< steps of linear warm-up
  std::size_t steps = 2000, batch = 256;
  std::uint64_t seed = 1;
  int threads = 1;
  /// What training returns: the last iterate, the average of the iterates, or the one
  /// with the best held-out loss (which cannot see how mass is shared between modes).
  nn::Keep keep = nn::Keep::last;
  double ema_decay = 0.999;  ///< nn::Keep::ema
  /// Rows of data: the share held out for evaluation (0: every row trains, and
  /// evaluation sees training rows). A data stream: the rows drawn once to evaluate on.
  double holdout = 0;
  std::size_t evaluation_rows = 2000;
  std::size_t eval_every = 100;
  std::size_t patience = 0;  ///< stop after this many evaluations without a better held-out loss; 0 never stops
  std::string checkpoint;    ///< a model file written (atomically) at each better evaluation; empty: none
  std::function<void(const Progress&)> report;  ///< called at each evaluation
};

struct TrainResult {
  std::vector<double> theta;  ///< as TrainOptions::keep says
  std::vector<Progress> history;
  std::size_t best_step = 0;  ///< of the best held-out loss
  bool stopped_early = false;
};

/// Minimises the loss over theta, starting from theta0, on the rows of data.
/// `truth` (optional) supplies the true score for the Fisher divergence.
TrainResult train(const nn::Potential& phi, std::vector<double> theta0, const Matrix<double>& data,
                  const TrainOptions& options, const Dataset* truth = nullptr);

/// The same on a stream: every step draws fresh exact samples from `data`, so
/// nothing can be overfitted; evaluation uses `evaluation_rows` samples drawn once.
TrainResult train(const nn::Potential& phi, std::vector<double> theta0, const Dataset& data,
                  const TrainOptions& options);

/// The loss of theta over all rows of x (one probe or noise per row from the seed).
double evaluate_loss(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
                     const LossOptions& loss, std::uint64_t seed = 7);

}  // namespace wengert::score
