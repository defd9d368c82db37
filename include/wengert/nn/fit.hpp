// The training core: minimise the loss a tape records over a potential's
// parameters theta, one optimiser step per batch. Every trainer in wengert
// (score matching, diffusion) is this loop with its own loss tape and its own
// source of rows; what differs lives in the caller, what is common lives here:
// the gradient program planned once, the optimiser and its schedule, the
// monitoring, early stopping, and which parameters are kept.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/nn/communicator.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/tape.hpp"

namespace wengert::nn {

/// The rows of one step: a matrix for each data input of the loss tape (its
/// "x", and "z", "t", "v" where it has them), filled by the caller's source.
class Batch {
 public:
  /// A rows x cols matrix for every data input of the loss tape.
  Batch(const Tape& loss, std::size_t rows);
  /// The matrix of a data input; throws UsageError naming the inputs there are.
  Matrix<double>& operator[](std::string_view input);
  std::size_t rows() const { return rows_; }  ///< rows of every matrix
  /// The data inputs' names and matrices, in the tape's order.
  const std::vector<std::pair<std::string, Matrix<double>>>& inputs() const { return inputs_; }

 private:
  std::size_t rows_;
  std::vector<std::pair<std::string, Matrix<double>>> inputs_;
};

/// Fills the batch for a step (counted from 1).
using BatchSource = std::function<void(Batch& batch, std::size_t step)>;

/// Which parameters training returns.
enum class Keep {
  last,  ///< the last iterate
  ema,   ///< an exponential moving average of the iterates (Polyak averaging)
  best,  ///< the iterate with the lowest evaluation (needs FitCallbacks::evaluate)
};
std::string to_string(Keep keep);         ///< its name, as keep_from reads it
Keep keep_from(const std::string& name);  ///< last, ema or best

/// How the learning rate moves over the steps, after a linear warm-up from 0.
enum class Schedule {
  cosine,    ///< from the rate to 0 along half a cosine
  constant,  ///< the rate throughout
};
std::string to_string(Schedule schedule);         ///< its name, as schedule_from reads it
Schedule schedule_from(const std::string& name);  ///< cosine or constant

/// Where training stands after an evaluation: all nn::fit needs to go on from there
/// exactly as if it had never stopped (nn/checkpoint.hpp keeps it in a file). The
/// caller's batch source keeps its own state beside it.
struct FitState {
  std::size_t step = 0;               ///< the steps taken
  bool stopped_early = false;         ///< by patience: nothing is left to do (nor after the last step)
  std::vector<double> theta;          ///< the iterate
  std::vector<double> kept;           ///< what fit would return now (FitOptions::keep)
  std::vector<double> optimizer;      ///< the optimiser's state (Optimizer::state)
  double best_evaluation = INFINITY;  ///< the lowest evaluation so far
  std::size_t best_step = 0;          ///< its step
  std::size_t without_progress = 0;   ///< evaluations since then (for patience)
  double loss_scale = 1;              ///< the divergence watch's reference loss (the first steps' largest)
  double parameter_norm = 1;          ///< and its reference norm (theta0's, at least 1)
};

/// How nn::fit trains.
struct FitOptions {
  std::string optimizer = "adam";        ///< adam or sgd (nn/optimizer.hpp)
  double adam_epsilon = 1e-8;            ///< Adam's epsilon
  double learning_rate = 1e-3;           ///< the peak rate
  Schedule schedule = Schedule::cosine;  ///< the rate over the steps after the warm-up
  std::size_t warmup = 0;                ///< steps of linear warm-up from 0 to the rate
  std::size_t steps = 2000;              ///< optimiser steps
  std::size_t batch = 256;               ///< rows of every matrix of the batch
  int threads = 1;                       ///< threads of the gradient program
  std::size_t eval_every = 0;            ///< evaluate (and report) every this many steps and at the last; 0: never
  std::size_t patience = 0;              ///< stop after this many evaluations without a better one; 0: never
  Keep keep = Keep::last;                ///< which parameters are returned
  /// Data parallel: the ranks whose batches make each step's (`batch` is this rank's
  /// rows; the loss and gradient are their row-weighted mean). nullptr: this process alone.
  Communicator* communicator = nullptr;
  /// Keep::ema: θ̄ ← decay θ̄ + (1 - decay) θ after each step, the decay ramping up as
  /// min(decay, (1 + step) / (10 + step)) so that early steps do not linger.
  double ema_decay = 0.999;
  /// Go on from this state (taken at an evaluation of a run with the same options and
  /// source) instead of from theta0; nullptr: start afresh.
  const FitState* resume = nullptr;
};

/// One report: where training is, and how fast.
struct FitStep {
  std::size_t step = 0;           ///< the step reported, from 1
  std::size_t steps = 0;          ///< the steps in all
  double train_loss = 0;          ///< the mean loss of the steps since the last report
  double evaluation = 0;          ///< FitCallbacks::evaluate at this step; NaN without it
  double samples_per_second = 0;  ///< training throughput since the start
  double eta_seconds = 0;         ///< the time left, at that throughput
};

/// What nn::fit calls back: all optional.
struct FitCallbacks {
  /// The loss to judge theta by (held out); lower is better.
  std::function<double(std::span<const double> theta)> evaluate;
  /// At every report, after the evaluation.
  std::function<void(const FitStep& step, std::span<const double> theta)> report;
  /// At an evaluation better than every earlier one (for checkpoints).
  std::function<void(std::span<const double> theta)> improved;
  /// At every evaluation, after the report: the state to resume from (FitOptions::resume).
  std::function<void(const FitState& state)> checkpoint;
};

/// What nn::fit returns.
struct FitResult {
  std::vector<double> theta;     ///< as FitOptions::keep says
  std::vector<FitStep> history;  ///< every report
  std::size_t best_step = 0;     ///< of the best evaluation; 0 without evaluations
  bool stopped_early = false;    ///< by FitOptions::patience
};

/// This rank's share of a global batch of `rows`; UsageError when some rank would get none.
RowShare share_batch(std::size_t rows, const Communicator& comm);

/// Data parallel: the source of this rank's rows, each step the rows `share` of the
/// batch `global_source` fills into `global` (every rank draws the same global
/// batch, so P ranks train on exactly the rows one process would). Both must
/// outlive the source returned.
BatchSource shared_source(const BatchSource& global_source, Batch& global, RowShare share);

/// The program one step runs: the loss tape's output "J" and its gradient
/// "<block>_bar" for every block of phi.
Program<double> gradient_program(const Potential& phi, const Tape& loss, int threads = 1);

/// Minimises the loss tape's output "J" (1, 1) over theta from theta0. The tape's
/// parameter inputs are phi's blocks; its data inputs are filled by `source`.
/// Throws DivergenceError naming the step and the learning rate when the loss
/// (training or held out) grows by orders of magnitude, becomes NaN or infinite,
/// or the parameters' norm explodes; UsageError for a rate that is not positive.
FitResult fit(const Potential& phi, const Tape& loss, std::vector<double> theta0, const BatchSource& source,
              const FitOptions& options, const FitCallbacks& callbacks = {});

}  // namespace wengert::nn
