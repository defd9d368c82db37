// Training a potential by score matching (on the training core, nn/fit.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wengert/nn/fit.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/score/data.hpp"
#include "wengert/score/loss.hpp"
#include "wengert/score/loss_policy.hpp"
#include "wengert/score/metrics.hpp"

namespace wengert::score {

/// One report of score::train.
struct Progress {
  std::size_t step = 0;           ///< the step reported, from 1
  std::size_t steps = 0;          ///< the steps in all
  double train_loss = NAN;        ///< mean over the steps since the last report
  double holdout_loss = NAN;      ///< on the held-out samples
  double fisher = NAN;            ///< E‖s_theta - s_true‖² on the held-out samples, where the true score is known
  double samples_per_second = 0;  ///< training throughput since the start
  double eta_seconds = 0;         ///< the time left, at that throughput
};

/// How score::train trains.
struct TrainOptions {
  LossOptions loss;                              ///< the score-matching loss; Loss::automatic chooses at theta0
  double probe_noise = 0.1;                      ///< Loss::automatic: LossPolicy::probe_noise
  std::string optimizer = "adam";                ///< adam or sgd
  double adam_epsilon = 1e-8;                    ///< Adam's epsilon
  double learning_rate = 1e-3;                   ///< the peak rate
  nn::Schedule schedule = nn::Schedule::cosine;  ///< the rate after the warm-up
  std::size_t warmup = 0;                        ///< steps of linear warm-up
  std::size_t steps = 2000;                      ///< optimiser steps
  std::size_t batch = 256;                       ///< samples per step
  std::uint64_t seed = 1;                        ///< of the minibatches, probes and noise
  int threads = 1;                               ///< of the gradient program
  /// Data parallel (nn/communicator.hpp): every rank draws the same global batch of
  /// `batch` samples and trains on its share; nullptr: this process alone.
  nn::Communicator* communicator = nullptr;
  /// What training returns: the last iterate, the average of the iterates, or the one
  /// with the best held-out loss (which cannot see how mass is shared between modes).
  nn::Keep keep = nn::Keep::last;
  double ema_decay = 0.999;  ///< nn::Keep::ema
  /// Rows of data: the share held out for evaluation (0: every row trains, and
  /// evaluation sees training rows). A data stream: the rows drawn once to evaluate on.
  double holdout = 0;
  std::size_t evaluation_rows = 2000;  ///< a data stream: rows drawn once for evaluation
  std::size_t eval_every = 100;        ///< steps between evaluations (and reports)
  std::size_t patience = 0;  ///< stop after this many evaluations without a better held-out loss; 0 never stops
  /// A checkpoint (nn/checkpoint.hpp) written atomically at every evaluation: the model
  /// `keep` would return then, and all a run needs to go on from there; empty: none.
  std::string checkpoint;
  /// A checkpoint to go on from, written by a run with the same options (threads aside):
  /// the result is the one the run that wrote it would have reached. Empty: start at theta0.
  std::string resume;
  std::function<void(const Progress&)> report;  ///< called at each evaluation
};

/// What score::train returns.
struct TrainResult {
  std::vector<double> theta;              ///< as TrainOptions::keep says
  std::vector<Progress> history;          ///< every report
  std::size_t best_step = 0;              ///< of the best held-out loss
  bool stopped_early = false;             ///< by TrainOptions::patience
  LossOptions loss;                       ///< the loss trained: Loss::automatic resolved
  std::optional<LossChoice> loss_choice;  ///< Loss::automatic: what it chose, and why
};

/// Minimises the loss over theta, starting from theta0, on the rows of data.
/// `truth` (optional) supplies the true score for the Fisher divergence.
TrainResult train(const nn::Potential& phi, std::vector<double> theta0, const Matrix<double>& data,
                  const TrainOptions& options, const Dataset* truth = nullptr);

/// The same on a stream: every step draws fresh exact samples from `data`, so
/// nothing can be overfitted; evaluation uses `evaluation_rows` samples drawn once.
TrainResult train(const nn::Potential& phi, std::vector<double> theta0, const Dataset& data,
                  const TrainOptions& options);

/// The policy Loss::automatic follows when training with these options: their
/// batch, threads, probe law, seed and probe_noise.
LossPolicy loss_policy(const TrainOptions& options);

/// The loss of theta over all rows of x (one probe or noise per row from the seed).
double evaluate_loss(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
                     const LossOptions& loss, std::uint64_t seed = 7);

}  // namespace wengert::score
